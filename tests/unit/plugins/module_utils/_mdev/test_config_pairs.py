"""ConfigStore knows a definition by its parent and uuid: one uuid may be defined under several parents."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError, InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.config import ConfigStore, Definition

U = '0a5f3c4e-9d1b-4f6a-8c2e-7b3d5e9f1a20'


def test_one_uuid_under_two_parents(tmp_path):
    store = ConfigStore(Host(str(tmp_path)))
    one, two = Definition(U, 'mtty', 'mtty-1'), Definition(U, 'other', 'mtty-2', 'auto')
    store.write(one)
    store.write(two)
    fresh = ConfigStore(Host(str(tmp_path)))
    assert list(fresh.definitions()) == [('mtty', U), ('other', U)]
    assert fresh.get(U, 'other') == two and fresh.get(U, 'mtty') == one
    assert fresh.parents_of(U) == ['mtty', 'other']
    with pytest.raises(InvalidArgument) as exc:
        fresh.get(U)
    assert 'mtty, other' in exc.value.msg
    fresh.remove(fresh.get(U, 'other'))
    assert fresh.get(U) == one and ConfigStore(Host(str(tmp_path))).parents_of(U) == ['mtty']


@pytest.mark.parametrize('value', ['5', 'true', 'null', '["1"]', '{"a": "1"}', '1.5'])
def test_a_value_that_is_not_a_string_is_what_mdevctl_rejects(value):
    text = '{"mdev_type": "t", "start": "manual", "attrs": [{"a": %s}]}' % value
    with pytest.raises(ConfigError) as exc:
        Definition.from_text(U, 'p', text, 'F')
    assert 'not a string' in exc.value.msg


def test_attribute_names_mdevctl_accepts_are_read():
    d = Definition.from_text(U, 'p', '{"mdev_type": "t", "start": "manual", "attrs": [{"example-attribute": "1"}, '
                                     '{"A b.c": "2"}]}', 'F')
    assert d.attrs == [('example-attribute', '1'), ('A b.c', '2')]  # any single path component
