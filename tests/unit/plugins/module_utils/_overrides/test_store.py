"""OverrideStore: /etc/driverctl.d files exactly as driverctl writes them, and whether driverctl is installed."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.store import (
    OverrideStore, driverctl_installed)


def store_in(tmp_path):
    return OverrideStore(Host(str(tmp_path)))


def test_set_writes_the_driver_and_a_newline_as_driverctl_does(tmp_path):
    store = store_in(tmp_path)
    store.set('css', '0.0.0313', 'vfio_ccw')
    path = tmp_path / 'etc' / 'driverctl.d' / 'css-0.0.0313'
    assert store.path('css', '0.0.0313') == str(path)
    assert path.read_text() == 'vfio_ccw\n' and oct(os.stat(str(path)).st_mode & 0o777) == '0o644'
    assert store.get('css', '0.0.0313') == 'vfio_ccw'


def test_get_of_a_missing_or_empty_file_is_none(tmp_path):
    store = store_in(tmp_path)
    assert store.get('pci', '0000:01:00.0') is None
    os.makedirs(store.dir)
    open(store.path('pci', '0000:01:00.0'), 'w').close()
    assert store.get('pci', '0000:01:00.0') is None


def test_get_reads_a_file_driverctl_wrote_without_newline(tmp_path):
    store = store_in(tmp_path)
    os.makedirs(store.dir)
    with open(store.path('pci', '0000:01:00.0'), 'w') as f:
        f.write('  vfio-pci  ')
    assert store.get('pci', '0000:01:00.0') == 'vfio-pci'


def test_remove_and_put_none_forget_the_override(tmp_path):
    store = store_in(tmp_path)
    store.put('css', '0.0.0313', 'vfio_ccw')
    store.put('css', '0.0.0314', 'vfio_ccw')
    store.remove('css', '0.0.0313')
    store.put('css', '0.0.0314', None)
    store.remove('css', '0.0.0315')  # never persisted: fine
    assert store.all() == {}


def test_all_lists_every_persisted_override_and_skips_what_is_not_one(tmp_path):
    store = store_in(tmp_path)
    assert store.all() == {}  # no directory yet
    store.set('pci', '0000:01:00.0', 'vfio-pci')
    store.set('css', '0.0.0313', 'vfio_ccw')
    for name in ('nodash', '.css-0.0.0314', 'css-0.0.0315'):
        open(os.path.join(store.dir, name), 'w').close()  # no bus, hidden, or empty
    os.makedirs(os.path.join(store.dir, 'ap-05.0004'))
    assert store.all() == {('css', '0.0.0313'): 'vfio_ccw', ('pci', '0000:01:00.0'): 'vfio-pci'}


def test_an_unreadable_entry_is_a_config_error_naming_the_host_path(tmp_path):
    store = store_in(tmp_path)
    os.makedirs(store.path('css', '0.0.0313'))
    with pytest.raises(ConfigError) as exc:
        store.get('css', '0.0.0313')
    assert exc.value.path == '/etc/driverctl.d/css-0.0.0313'


def test_driverctl_is_installed_when_either_binary_exists_below_the_root(tmp_path):
    host = Host(str(tmp_path))
    assert not driverctl_installed(host)
    (tmp_path / 'sbin').mkdir()
    (tmp_path / 'sbin' / 'driverctl').write_text('')
    assert driverctl_installed(host)
    os.unlink(str(tmp_path / 'sbin' / 'driverctl'))
    (tmp_path / 'usr' / 'sbin').mkdir(parents=True)
    (tmp_path / 'usr' / 'sbin' / 'driverctl').write_text('')
    assert driverctl_installed(host)
