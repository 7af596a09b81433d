"""The library reads the AP masks of the simulated host."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._ap import masks as _ap
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


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
