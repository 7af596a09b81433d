"""mdev definitions as mdevctl writes them, their parsing errors, and the /etc/mdevctl.d store."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError, InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.config import (
    ConfigStore, Definition, normalize_attrs)

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
OTHER = '5ea6c8d9-2a3b-4c5d-8e9f-0a1b2c3d4e5f'
WHERE = '/etc/mdevctl.d/matrix/' + UUID
AP_TEXT = '''{
  "mdev_type": "vfio_ap-passthrough",
  "start": "auto",
  "attrs": [
    {
      "assign_adapter": "5"
    },
    {
      "assign_domain": "0x4"
    }
  ]
}'''


def ap(uuid=UUID, **changes):
    d = Definition(uuid, 'matrix', 'vfio_ap-passthrough', 'auto', [('assign_adapter', '5'), ('assign_domain', '0x4')])
    return d.copy(**changes)


def put(tmp_path, parent, name, text):
    """A file in /etc/mdevctl.d as another tool left it."""
    d = tmp_path / 'etc' / 'mdevctl.d' / parent
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text)
    return d / name


def linked_away(tmp_path, *parts):
    """``parts`` below the root as a symlink to an empty directory elsewhere; returns that directory."""
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    tmp_path.joinpath(*parts[:-1]).mkdir(parents=True)
    os.symlink(str(elsewhere), str(tmp_path.joinpath(*parts)))
    return elsewhere


def test_the_text_is_two_space_json_in_mdevctl_key_order_without_trailing_newline():
    assert ap().text() == AP_TEXT
    bare = Definition(UUID, '0.0.0313', 'vfio_ccw-io')
    assert bare.text() == '{\n  "mdev_type": "vfio_ccw-io",\n  "start": "manual",\n  "attrs": []\n}'


def test_unknown_keys_are_kept_after_mdevctl_own_and_read_back_equal():
    text = AP_TEXT[:-2] + ',\n  "comment": "guest ü"\n}'
    d = Definition.from_text(UUID, 'matrix', text, WHERE)
    assert d.extra == {'comment': 'guest ü'} and d.text() == text
    assert d == Definition.from_text(UUID, 'matrix', d.text(), WHERE)
    assert d != ap() and ap() == ap() and ap() != ap(OTHER)


def test_from_text_defaults_start_to_manual_and_attrs_to_none_given():
    d = Definition.from_text(UUID, 'matrix', '{"mdev_type": "vfio_ap-passthrough"}', WHERE)
    assert (d.uuid, d.parent, d.mdev_type, d.start, d.attrs) == (UUID, 'matrix', 'vfio_ap-passthrough', 'manual', [])


@pytest.mark.parametrize('text, message', [
    ('{"mdev_type": ', WHERE + ' is not valid JSON: '),
    ('["vfio_ap-passthrough"]', WHERE + ' has no "mdev_type" string'),
    ('{"mdev_type": 5}', WHERE + ' has no "mdev_type" string'),
    ('{"mdev_type": "t", "start": "always"}', WHERE + ': "start" is \'always\', not auto or manual'),
    ('{"mdev_type": "t", "attrs": {"assign_adapter": "5"}}', WHERE + ' attrs must be a list of one-key mappings'),
    ('{"mdev_type": "t", "attrs": [{"../remove": "5"}]}', WHERE + " attrs[0] name '../remove' is not a sysfs attribute"),
])
def test_from_text_errors_name_the_file(text, message):
    with pytest.raises(ConfigError) as exc:
        Definition.from_text(UUID, 'matrix', text, WHERE)
    assert exc.value.msg.startswith(message) and exc.value.path == WHERE


def test_normalize_attrs_turns_values_into_strings_in_order():
    assert normalize_attrs(None) is None
    assert normalize_attrs([{'assign_adapter': 5}, {'assign_domain': '0xab'}]) == [
        ('assign_adapter', '5'), ('assign_domain', '0xab')]


@pytest.mark.parametrize('attrs, message', [
    ('assign_adapter=5', 'attrs must be a list of one-key mappings such as [{assign_adapter: "5"}], got str'),
    ([{'a': '1', 'b': '2'}], 'attrs[0] must be a mapping with exactly one key'),
    ([{'assign_adapter': True}], 'attrs[0] assign_adapter: the value must be a string or an integer, got True'),
    ([{'assign_adapter': 1.5}], 'attrs[0] assign_adapter: the value must be a string or an integer'),
    ([{'x': 'a\nb'}], 'attrs[0] x: the value has a newline or NUL or is too long'),
    ([{'x': 'a' * 4001}], 'attrs[0] x: the value has a newline or NUL or is too long'),
])
def test_normalize_attrs_refuses_what_mdevctl_could_not_store(attrs, message):
    with pytest.raises(InvalidArgument) as exc:
        normalize_attrs(attrs)
    assert exc.value.msg.startswith(message)


def test_store_write_then_all_and_get(tmp_path):
    store = ConfigStore(Host(str(tmp_path)))
    assert store.all() == {} and store.get(UUID) is None
    store.write(ap())
    path = tmp_path / 'etc' / 'mdevctl.d' / 'matrix' / UUID
    assert path.read_text() == AP_TEXT and oct(os.stat(str(path)).st_mode & 0o777) == '0o644'
    assert store.display('matrix', UUID) == WHERE
    assert store.get(UUID) == ap()
    assert ConfigStore(Host(str(tmp_path))).all() == {UUID: ap()}


def test_store_reads_what_mdevctl_left_and_skips_scripts_and_other_names(tmp_path):
    put(tmp_path, 'matrix', UUID.upper(), AP_TEXT)
    put(tmp_path, 'matrix', 'README', 'not a definition')
    put(tmp_path, 'scripts.d', OTHER, 'not a definition either')
    store = ConfigStore(Host(str(tmp_path)))
    assert store.all() == {UUID: ap()} and store.problems == []
    assert store.path('matrix', UUID).endswith('/matrix/' + UUID.upper())  # rewritten under its own name
    store.write(ap(start='manual'))
    assert sorted(os.listdir(str(tmp_path / 'etc' / 'mdevctl.d' / 'matrix'))) == sorted(['README', UUID.upper()])
    assert ConfigStore(Host(str(tmp_path))).get(UUID).start == 'manual'


def test_unreadable_files_are_problems_not_definitions(tmp_path):
    put(tmp_path, 'matrix', UUID, '{"mdev_type": ')
    put(tmp_path, 'matrix', OTHER, AP_TEXT)
    store = ConfigStore(Host(str(tmp_path)))
    assert list(store.all()) == [OTHER]
    problem = store.problem(UUID)
    assert problem['uuid'] == UUID and problem['parent'] == 'matrix' and problem['path'] == WHERE
    assert problem['msg'].startswith(WHERE + ' is not valid JSON')
    assert store.problem(OTHER) is None
    store.remove_file('matrix', UUID)
    assert store.problems == [] and not os.path.exists(store.path('matrix', UUID))


def test_remove_deletes_the_file_and_its_parent_directory_once_empty(tmp_path):
    store = ConfigStore(Host(str(tmp_path)))
    store.write(ap())
    store.write(ap(OTHER))
    store.remove(ap())
    assert os.listdir(str(tmp_path / 'etc' / 'mdevctl.d' / 'matrix')) == [OTHER]
    store.remove(ap(OTHER))
    assert os.listdir(str(tmp_path / 'etc' / 'mdevctl.d')) == [] and store.all() == {}


def test_a_failed_write_raises_and_the_store_reads_again(tmp_path):
    elsewhere = linked_away(tmp_path, 'etc', 'mdevctl.d', 'matrix')
    store = ConfigStore(Host(str(tmp_path)))
    with pytest.raises(ConfigError) as exc:
        store.write(ap())
    assert exc.value.msg == '/etc/mdevctl.d/matrix is a symbolic link; nothing is written through it'
    assert os.listdir(str(elsewhere)) == [] and store.all() == {}


def test_a_symlinked_mdevctl_d_is_not_written_through(tmp_path):
    elsewhere = linked_away(tmp_path, 'etc', 'mdevctl.d')
    with pytest.raises(ConfigError):
        ConfigStore(Host(str(tmp_path))).write(ap())
    assert os.listdir(str(elsewhere)) == []
