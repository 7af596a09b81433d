"""Odd definition files: nesting too deep to parse, strings that are not text, directory names that are not UTF-8.

Each is a ConfigError naming the file (printable), a problem of the store, never a RecursionError or a
lone surrogate in what a module returns; the other definitions are read as usual.
"""

import errno
import json
import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.config import (
    MAX_DEPTH, ConfigStore, Definition, printable)

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
OTHER = '5ea6c8d9-2a3b-4c5d-8e9f-0a1b2c3d4e5f'
WHERE = '/etc/mdevctl.d/matrix/' + UUID
GOOD = '{"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [{"assign_adapter": "5"}]}'


def nested(levels):
    """A definition whose unknown key holds ``levels`` nested lists (the object itself is one level more)."""
    return '{"mdev_type": "t", "x": %s%s}' % ('[' * levels, ']' * levels)


def put(root, parent, name, text):
    """A file in /etc/mdevctl.d as another tool left it; ``parent`` may be bytes (a name that is not UTF-8)."""
    directory = os.path.join(os.fsencode(str(root)), b'etc', b'mdevctl.d', os.fsencode(parent))
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, os.fsencode(name)), 'w') as f:
        f.write(text)
    return os.path.join(directory, os.fsencode(name))


def returnable(value):
    """What Ansible does with a result: JSON encoded as UTF-8 (fails on a lone surrogate)."""
    return json.dumps(value, ensure_ascii=False).encode('utf-8')


@pytest.mark.parametrize('text', ['[' * 100000, '{"a": ' * 50000, nested(5000)])
def test_nesting_that_exhausts_the_parser_is_a_config_error_naming_the_file(text):
    with pytest.raises(ConfigError) as exc:
        Definition.from_text(UUID, 'matrix', text, WHERE)
    assert exc.value.msg == '%s is nested too deeply: more than %d levels of JSON arrays and objects' % (
        WHERE, MAX_DEPTH) and exc.value.path == WHERE


def test_nesting_is_read_up_to_the_limit_and_written_back():
    d = Definition.from_text(UUID, 'matrix', nested(MAX_DEPTH - 1), WHERE)
    assert Definition.from_text(UUID, 'matrix', d.text(), WHERE) == d
    with pytest.raises(ConfigError) as exc:  # parses in Python, but mdevctl and a module result would not cope
        Definition.from_text(UUID, 'matrix', nested(MAX_DEPTH), WHERE)
    assert 'nested too deeply' in exc.value.msg


@pytest.mark.parametrize('text', ['{"mdev_type": "\\udcff"}', '{"mdev_type": "t", "\\ud800x": 1}',
                                  '{"mdev_type": "t", "attrs": [{"assign_adapter": "\\udc05"}]}'])
def test_a_lone_surrogate_escape_is_not_text(text):
    with pytest.raises(ConfigError) as exc:
        Definition.from_text(UUID, 'matrix', text, WHERE)
    assert exc.value.msg.startswith(WHERE + ' has a string with a lone surrogate escape')


def test_a_deeply_nested_file_is_a_problem_the_others_are_read_and_it_can_be_removed(tmp_path):
    put(tmp_path, 'matrix', UUID, '[' * 100000)
    put(tmp_path, 'matrix', OTHER, GOOD)
    store = ConfigStore(Host(str(tmp_path)))
    assert list(store.all()) == [OTHER]
    problem = store.problem(UUID)
    assert problem == {'uuid': UUID, 'parent': 'matrix', 'path': WHERE, 'msg': problem['msg']}
    assert problem['msg'].startswith(WHERE + ' is nested too deeply')
    store.remove_file(problem['parent'], UUID)
    assert store.problems == [] and os.listdir(str(tmp_path / 'etc' / 'mdevctl.d' / 'matrix')) == [OTHER]


def test_a_definition_under_a_directory_name_that_is_not_utf8_is_a_printable_problem(tmp_path):
    odd = put(tmp_path, b'matrix\xff', UUID, GOOD)
    put(tmp_path, 'matrix', OTHER, GOOD)
    store = ConfigStore(Host(str(tmp_path)))
    assert list(store.all()) == [OTHER] and store.all()[OTHER].parent == 'matrix'
    shown = '/etc/mdevctl.d/matrix\\xff/' + UUID
    assert store.problems == [{'uuid': UUID, 'parent': 'matrix\\xff', 'path': shown,
                               'msg': shown + ': the directory name matrix\\xff is not UTF-8, so it names no '
                                              'parent device'}]
    returnable(store.problems)
    assert store.display('matrix\\xff', UUID) == shown
    store.remove_file('matrix\\xff', UUID)  # as mdev state=absent does, with the parent the problem reports
    assert not os.path.exists(odd) and store.problems == [] and list(store.all()) == [OTHER]
    assert ConfigStore(Host(str(tmp_path))).all() == {OTHER: store.get(OTHER)}


def test_a_directory_name_that_is_not_utf8_but_lists_nothing_is_no_problem(tmp_path):
    put(tmp_path, b'matrix\xff', 'README', 'not a definition')
    store = ConfigStore(Host(str(tmp_path)))
    assert store.all() == {} and store.problems == []


@pytest.mark.parametrize('parent', [b'matrix\xff', b'matrix'])
def test_a_parent_directory_that_cannot_be_listed_is_a_printable_problem(tmp_path, monkeypatch, parent):
    put(tmp_path, parent, UUID, GOOD)
    listdir = os.listdir

    def refusing(path):
        if os.fsencode(path).endswith(parent):
            raise OSError(errno.EACCES, 'Permission denied')
        return listdir(path)
    monkeypatch.setattr(os, 'listdir', refusing)
    store = ConfigStore(Host(str(tmp_path)))
    assert store.all() == {}
    shown = '/etc/mdevctl.d/' + printable(os.fsdecode(parent))
    assert store.problems == [{'uuid': None, 'parent': printable(os.fsdecode(parent)), 'path': shown,
                               'msg': 'cannot list %s: Permission denied' % shown}]
    returnable(store.problems)


def test_mdevctl_d_that_is_not_a_directory_is_a_problem_a_missing_one_is_not(tmp_path):
    assert ConfigStore(Host(str(tmp_path))).all() == {}
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc' / 'mdevctl.d').write_text('not a directory')
    store = ConfigStore(Host(str(tmp_path)))
    assert store.all() == {}
    assert store.problems == [{'uuid': None, 'parent': None, 'path': '/etc/mdevctl.d',
                               'msg': 'cannot list /etc/mdevctl.d: Not a directory'}]


def test_printable_shows_bytes_that_are_not_utf8_as_escapes():
    assert printable(os.fsdecode(b'matrix\xff\xfe')) == 'matrix\\xff\\xfe'
    assert printable('0.0.0313 ü') == '0.0.0313 ü'
