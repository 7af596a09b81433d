"""load_driver: a registered driver is left as it is; under a simulated root nothing is loaded."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import NotFound
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.kmod import load_driver


def css_with_vfio_ccw(tmp_path):
    (tmp_path / 'sys' / 'bus' / 'css' / 'drivers' / 'vfio_ccw').mkdir(parents=True)
    host = Host(str(tmp_path))
    return host, Bus(host, 'css')


def test_a_registered_driver_needs_nothing(tmp_path):
    host, bus = css_with_vfio_ccw(tmp_path)
    assert load_driver(host, bus, 'vfio_ccw') is None


def test_under_a_simulated_root_a_missing_driver_is_not_found_naming_its_path(tmp_path):
    host, bus = css_with_vfio_ccw(tmp_path)
    with pytest.raises(NotFound) as exc:
        load_driver(host, bus, 'vfio-pci')
    assert exc.value.msg == ('driver vfio-pci is not registered on bus css (/sys/bus/css/drivers/vfio-pci is missing); '
                             'kernel modules are only loaded when VFIO_PASSTHROUGH_ROOT is /')
    assert (exc.value.path, exc.value.value) == ('/sys/bus/css/drivers/vfio-pci', 'vfio-pci')


def test_on_the_simulated_seed_host_vfio_ccw_is_registered_and_vfio_pci_is_not_loaded(seed):
    host = Host()
    bus = Bus(host, 'css')
    load_driver(host, bus, 'vfio_ccw')
    with pytest.raises(NotFound) as exc:
        load_driver(host, bus, 'vfio-pci')
    assert exc.value.path == '/sys/bus/css/drivers/vfio-pci'
    assert seed.writes() == []
