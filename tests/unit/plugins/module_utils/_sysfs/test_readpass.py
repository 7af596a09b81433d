"""The single-pass readers give what a plain walk from / gives; the definition cache stays true to disk."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import SysfsError
from ansible_collections.vfio.passthrough.plugins.module_utils._ap.matrix import read_matrix
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev import sysfs as _mdev
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.readpass import ReadPass
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.config import ConfigStore, Definition
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

U = ['%08x-0000-4000-8000-%012x' % (i, i) for i in range(6)]


def plain_active(host):
    """active() as a walk from / would compute it: realpath and the mdev_type link."""
    base = host.sys('bus', 'mdev', 'devices')
    return dict((u, (os.path.basename(os.path.dirname(os.path.realpath(os.path.join(base, u)))),
                     os.path.basename(os.readlink(os.path.join(base, u, 'mdev_type'))))) for u in os.listdir(base))


def test_active_through_open_directories_matches_a_plain_walk(x86):
    for uuid, mtype in zip(U[:3], ('mtty-1', 'mtty-2', 'mtty-1')):
        x86.write(uuid, 'sys/class/mdev_bus/mtty/mdev_supported_types', mtype, 'create')
    host = Host()
    with ReadPass() as dirs:
        got = _mdev.running(host, dirs)
        assert set(dirs.device_dirs) == set(U[:3])
    assert got == plain_active(host) == {U[0]: ('mtty', 'mtty-1'), U[1]: ('mtty', 'mtty-2'), U[2]: ('mtty', 'mtty-1')}
    assert _mdev.running(host) == got  # without a ReadPass of the caller's


def test_matrix_through_open_directories_matches_the_bus_path(seed):
    seed.write(U[0], 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create')
    for attr, value in (('assign_adapter', '5'), ('assign_domain', '0x42'), ('assign_control_domain', '0xab')):
        seed.write(value, 'sys/bus/mdev/devices', U[0], attr)
    host = Host()
    with ReadPass() as dirs:
        _mdev.running(host, dirs)
        assert read_matrix(host, U[0], dirs) == read_matrix(host, U[0]) == {
            'adapter': {5}, 'domain': {0x42}, 'control_domain': {0xab}}


def test_dirs_read_missing_and_closed(tmp_path):
    (tmp_path / 'a').write_text('1\n')
    dirs = ReadPass()
    assert dirs.read(str(tmp_path), 'a') == '1'
    assert dirs.read(str(tmp_path), 'b', 'none') == 'none'
    assert dirs.read(str(tmp_path / 'nodir'), 'a') is None
    dirs.close()
    assert dirs.read(str(tmp_path), 'a') == '1'  # opened again after close


def test_definition_cache_follows_writes_and_removals(tmp_path):
    host = Host(str(tmp_path))
    store = ConfigStore(host)
    assert store.all() == {}
    for i, uuid in enumerate(U):
        store.write(Definition(uuid, 'matrix' if i % 2 else '0.0.0313', 'vfio_ap-passthrough' if i % 2 else
                               'vfio_ccw-io', 'auto', [('assign_adapter', str(i))] if i % 2 else []))
    store.remove(store.get(U[1]))
    store.remove_file('0.0.0313', U[2])
    changed = store.get(U[3]).copy(start='manual')
    store.write(changed)
    fresh = ConfigStore(host).all()
    assert sorted(store.all()) == sorted(fresh) == sorted([U[0], U[3], U[4], U[5]])
    assert all(store.all()[u] == fresh[u] for u in fresh)
    changed.attrs.append(('assign_domain', '1'))  # the caller's object is not the cached one
    assert store.get(U[3]).attrs == [('assign_adapter', '3')]


def test_a_failing_read_names_the_whole_path_and_errno(tmp_path):
    (tmp_path / 'dev' / 'sub').mkdir(parents=True)
    with ReadPass() as dirs:
        assert dirs.read(str(tmp_path / 'dev'), 'missing', 'none') == 'none'
        with pytest.raises(SysfsError) as failed:
            dirs.read(str(tmp_path / 'dev'), 'sub')  # a directory: read(2) fails with EISDIR
    assert failed.value.path == str(tmp_path / 'dev' / 'sub')
    assert 'reading %s failed: EISDIR' % (tmp_path / 'dev' / 'sub') in failed.value.msg
