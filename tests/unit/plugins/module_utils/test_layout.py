"""The library reads the AP masks and the mdev layout of the simulated hosts."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils import _ap, _mdev
from ansible_collections.vfio.passthrough.plugins.module_utils._errors import InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._paths import Host

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'


def test_mask_round_trip():
    assert _ap.parse_mask('0x' + 'f' * 64) == set(range(256))
    assert _ap.parse_mask('0x8') == {0}
    assert _ap.parse_mask('0x05') == {5, 7}
    assert _ap.format_mask({0, 5}) == '0x84' + '0' * 62
    with pytest.raises(InvalidArgument):
        _ap.parse_mask('0xzz')


def test_seed_masks_free_adapter_5_and_three_domains(seed):
    bus = _ap.APBus(Host())
    adapters, domains = bus.masks()
    assert 5 not in adapters and 3 in adapters
    assert set(range(256)) - domains == {0x04, 0x42, 0xab}
    assert not bus.host_owned(5, 0x10) and bus.host_owned(3, 0x10)
    assert bus.max_ids() == (63, 255)


def test_mdev_parents_types_and_active_devices(seed):
    host = Host()
    assert _mdev.parent_names(host) == ['matrix']
    mtype = _mdev.Parent(host, 'matrix').types()[0]
    assert mtype.id == 'vfio_ap-passthrough'
    assert mtype.info() == {'name': 'VFIO AP Passthrough Device', 'device_api': 'vfio-ap',
                            'available_instances': 65536, 'description': None}
    seed.write(UUID, 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create')
    assert _mdev.active(host) == {UUID: ('matrix', 'vfio_ap-passthrough')}
    assert mtype.info()['available_instances'] == 65535
