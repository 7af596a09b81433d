"""Attribute names as mdevctl takes them (one path component), and driverctl's bus/device form."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core import names as _names
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument


@pytest.mark.parametrize('name', ['example-attribute', 'assign_adapter', 'A.b:c', 'with space', '...', 'x' * 255])
def test_single_path_components_are_attribute_names(name):
    assert _names.attr_name(name) == name


@pytest.mark.parametrize('name', ['', '.', '..', 'a/b', '/abs', '../remove', 'a\x00b', 'a\nb', 'a\rb', ' 0', 'x\n',
                                  'x' * 256, 5, None])
def test_what_could_leave_the_device_directory_is_refused(name):
    with pytest.raises(InvalidArgument):
        _names.attr_name(name)


@pytest.mark.parametrize('bus, value, expected', [
    ('pci', '0000:01:00.0', ('pci', '0000:01:00.0')),
    ('css', 'pci/01:00.0', ('pci', '0000:01:00.0')),
    ('pci', 'css/0.0.0313', ('css', '0.0.0313')),
])
def test_the_bus_in_the_name_wins(bus, value, expected):
    assert _names.bus_device(bus, value) == expected


@pytest.mark.parametrize('value', ['pci/../x', '../pci/0000:01:00.0', 'pci/', 'PCI/0000:01:00.0', 'pci/0000:01:00.0/x', '../0.0.0313'])
def test_bad_bus_device_forms_are_refused(value):
    with pytest.raises(InvalidArgument):
        _names.bus_device('pci', value)
