"""list_overrides on the seed host: css subchannels with their overrides, filtered by bus and device names."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument, NotFound
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.info import list_overrides
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.store import OverrideStore


def names_of(devices):
    return [(d['bus'], d['device']) for d in devices]


def test_by_default_every_css_device_with_driver_override_is_listed(seed):
    devices, persisted = list_overrides(Host())
    # no pci bus on this host, and the AP queues have no driver_override while the masks are set
    assert names_of(devices) == [('css', '0.0.0000'), ('css', '0.0.0313'), ('css', '0.0.0314'), ('css', '0.0.ff40')]
    assert devices[1] == {'bus': 'css', 'device': '0.0.0313', 'driver': 'io_subchannel', 'override': None,
                          'persisted': None, 'dev_busid': '0.0.2b09'}
    assert 'dev_busid' not in devices[3]  # the CHSC subchannel has no device
    assert persisted == []


def test_names_are_canonicalised_and_limit_the_devices(seed):
    devices, _persisted = list_overrides(Host(), buses=['css'], names=['313', '0.0.0000', '05.0004'])
    assert names_of(devices) == [('css', '0.0.0000'), ('css', '0.0.0313')]


def test_persisted_overrides_are_reported_also_for_absent_devices(seed):
    store = OverrideStore(Host())
    store.set('css', '0.0.0313', 'vfio_ccw')
    store.set('pci', '0000:01:00.0', 'vfio-pci')
    devices, persisted = list_overrides(Host(), buses=['css'], names=['0.0.0313'])
    assert devices[0]['persisted'] == 'vfio_ccw' and devices[0]['override'] is None
    assert persisted == [{'bus': 'css', 'device': '0.0.0313', 'driver': 'vfio_ccw'},
                         {'bus': 'pci', 'device': '0000:01:00.0', 'driver': 'vfio-pci'}]


def test_names_that_fit_no_listed_bus_are_refused(seed):
    with pytest.raises(InvalidArgument) as exc:
        list_overrides(Host(), buses=['css'], names=['card05', 'nonsense'])
    assert exc.value.msg == 'none of card05, nonsense is a device name of bus css'
    assert exc.value.extra == {'field': 'devices'}


def test_a_name_that_carries_a_bus_not_listed_is_refused_not_silently_empty(seed):
    for name in ('ccw/0.0.2b09', '0/0'):
        with pytest.raises(InvalidArgument) as exc:
            list_overrides(Host(), names=[name])
        assert 'is on a bus that is not listed (pci, css, ap)' in exc.value.msg and name in exc.value.msg


def test_an_explicit_bus_that_does_not_exist_is_not_found(seed):
    with pytest.raises(NotFound) as exc:
        list_overrides(Host(), buses=['css', 'pci'])
    assert exc.value.path == '/sys/bus/pci'


def test_an_invalid_bus_name_is_refused(tmp_path):
    with pytest.raises(InvalidArgument) as exc:
        list_overrides(Host(str(tmp_path)), buses=['../etc'])
    assert exc.value.extra == {'field': 'bus'}
