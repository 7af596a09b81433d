"""Names from users are validated and made canonical before any path is built."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core import names as _names
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument


@pytest.mark.parametrize('bus, given, canonical', [
    ('pci', '0000:00:02.0', '0000:00:02.0'),
    ('pci', '00:02.0', '0000:00:02.0'),
    ('pci', '0000:01:00.1', '0000:01:00.1'),
    ('pci', '0000:3B:00.0', '0000:3b:00.0'),
    ('css', '0.0.0313', '0.0.0313'),
    ('css', '0.0.313', '0.0.0313'),
    ('css', '0.1.FF40', '0.1.ff40'),
    ('ccw', '2b09', '0.0.2b09'),
    ('ccw', '0.0.2b09', '0.0.2b09'),
    ('ap', '05.0004', '05.0004'),
    ('ap', '5.4', '05.0004'),
    ('ap', 'card05', 'card05'),
    ('platform', 'serial8250', 'serial8250'),
])
def test_canonical_device_names(bus, given, canonical):
    assert _names.device_name(bus, given) == canonical


@pytest.mark.parametrize('bus, given', [
    ('pci', '../0000:00:02.0'), ('pci', '0000:00:02'), ('pci', '0000:00:20.0'), ('pci', '00:02.8'),
    ('css', '0.0.03130'), ('css', '0.4.0313'), ('css', '0.0.0313/..'), ('css', ''),
    ('ap', '05.00004'), ('ap', '100.0004'), ('platform', '..'), ('platform', 'a/b'),
    ('platform', 'a\nb'), ('platform', 'a\x00b'), ('platform', ' x'), ('pci', 'x' * 300),
])
def test_bad_device_names_are_refused(bus, given):
    with pytest.raises(InvalidArgument) as exc:
        _names.device_name(bus, given)
    assert exc.value.extra['field'] == 'device'


@pytest.mark.parametrize('func, value', [
    (_names.bus_name, 'css/..'), (_names.bus_name, 'PCI'), (_names.bus_name, '..'),
    (_names.driver_name, 'vfio/ccw'), (_names.driver_name, '..'), (_names.driver_name, 'a b'),
    (_names.attr_name, 'a/b'), (_names.attr_name, '../remove'),
    (_names.uuid, '7e270a25e1634922af60757fc8ed48c6'), (_names.uuid, 'not-a-uuid'),
    (_names.bus_name, 5), (_names.driver_name, None),
])
def test_bad_names_are_refused(func, value):
    with pytest.raises(InvalidArgument):
        func(value)


def test_good_names_pass():
    assert _names.driver_name('vfio-pci') == 'vfio-pci'
    assert _names.driver_name('none') == 'none'
    assert _names.bus_name('css') == 'css'
    assert _names.attr_name('assign_domain') == 'assign_domain'
    assert _names.uuid('7E270A25-E163-4922-AF60-757FC8ED48C6') == '7e270a25-e163-4922-af60-757fc8ed48c6'


@pytest.mark.parametrize('value', ['60.0', '2.0', 60.0, 2, '60'])
def test_a_pci_address_yaml_turned_into_a_number_says_quote_it(value):
    with pytest.raises(InvalidArgument) as exc:
        _names.pci_address(value)
    assert 'is a number, not a PCI address' in exc.value.msg and 'quote the address' in exc.value.msg
