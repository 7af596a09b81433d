"""OverrideStore.all with odd files in /etc/driverctl.d: each one a printable problem, every other file read."""

import errno
import json
import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.store import OverrideStore

GOOD = {('css', '0.0.0313'): 'vfio_ccw', ('pci', '0000:01:00.0'): 'vfio-pci'}


def store_with_odd(tmp_path, make_odd):
    """A store holding GOOD and one odd file made by ``make_odd(directory as bytes)``."""
    store = OverrideStore(Host(str(tmp_path)))
    for (bus, device), driver in GOOD.items():
        store.set(bus, device, driver)
    make_odd(os.fsencode(store.dir))
    return store


def symlink(d):
    with open(d + b'/../elsewhere', 'w') as f:
        f.write('vfio_ccw\n')
    os.symlink(d + b'/../elsewhere', d + b'/css-0.0.0314')


def dangling(d):
    os.symlink(d + b'/../nowhere', d + b'/css-0.0.0314')


def undecodable(d):
    with open(d + b'/css-0.0.0314', 'wb') as f:
        f.write(b'vfio_\xff\n')


def odd_name(d):
    with open(d + b'/css-0.0.03\xff', 'w') as f:
        f.write('vfio_ccw\n')


@pytest.mark.parametrize('make_odd, shown, words', [
    (symlink, '/etc/driverctl.d/css-0.0.0314', 'is not a regular file; it is left alone'),
    (dangling, '/etc/driverctl.d/css-0.0.0314', 'is not a regular file; it is left alone'),
    (undecodable, '/etc/driverctl.d/css-0.0.0314', 'is not UTF-8 text (invalid start byte); it is left alone'),
    (odd_name, '/etc/driverctl.d/css-0.0.03\\xff', ': the file name is not UTF-8, so it names no device; it is left alone'),
])
def test_an_odd_file_is_a_problem_naming_it_and_the_rest_is_read(tmp_path, make_odd, shown, words):
    store = store_with_odd(tmp_path, make_odd)
    assert store.all() == GOOD
    (problem,) = store.problems
    assert problem['path'] == shown and problem['msg'] == shown + (' ' if words[0] != ':' else '') + words
    assert problem['bus'] == 'css' and problem['device'] == shown.split('css-')[1]
    json.dumps(store.problems, ensure_ascii=False).encode('utf-8')  # what Ansible returns: no lone surrogate


def test_the_odd_file_of_one_device_fails_only_that_device(tmp_path):
    store = store_with_odd(tmp_path, symlink)
    assert store.get('css', '0.0.0313') == 'vfio_ccw'
    with pytest.raises(ConfigError) as exc:
        store.get('css', '0.0.0314')
    assert exc.value.path == '/etc/driverctl.d/css-0.0.0314'


def test_directories_and_hidden_or_dashless_names_are_skipped_quietly(tmp_path):
    def others(d):
        os.mkdir(d + b'/css-0.0.0315')
        os.mkdir(d + b'/css-0.0.03\xfe')
        with open(d + b'/.css-0.0.0316.tmp', 'w') as f:
            f.write('\xff')
        with open(d + b'/README', 'w') as f:
            f.write('not an override')
    store = store_with_odd(tmp_path, others)
    assert store.all() == GOOD and store.problems == []


def test_driverctl_d_that_cannot_be_listed_is_a_problem_a_missing_one_is_not(tmp_path, monkeypatch):
    store = OverrideStore(Host(str(tmp_path)))
    assert store.all() == {} and store.problems == []
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc' / 'driverctl.d').write_text('not a directory')
    assert store.all() == {}
    assert store.problems == [{'bus': None, 'device': None, 'path': '/etc/driverctl.d',
                               'msg': 'cannot list /etc/driverctl.d: Not a directory'}]

    def refusing(path):
        raise OSError(errno.EACCES, 'Permission denied')
    monkeypatch.setattr(os, 'listdir', refusing)
    assert store.all() == {} and store.problems[0]['msg'] == 'cannot list /etc/driverctl.d: Permission denied'
