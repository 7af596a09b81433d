"""Configuration files: reading, atomic replacement, removal and symlinks, and the errors each gives."""

import errno
import os
import stat

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core import fileio
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError


def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def refused(call, *args, **kwargs):
    """The ConfigError ``call`` raises."""
    with pytest.raises(ConfigError) as exc:
        call(*args, **kwargs)
    return exc.value


def test_read_text_returns_the_text_or_none_when_missing(tmp_path):
    (tmp_path / 'f').write_text('vfio_ccw\n')
    (tmp_path / 'plain').write_text('x')
    assert fileio.read_text(str(tmp_path / 'f')) == 'vfio_ccw\n'
    assert fileio.read_text(str(tmp_path / 'missing')) is None
    assert fileio.read_text(str(tmp_path / 'plain' / 'below-a-file')) is None  # ENOTDIR


def test_read_text_leaves_a_symlink_or_directory_alone_and_names_the_displayed_path(tmp_path):
    (tmp_path / 'target').write_text('vfio_ccw\n')
    os.symlink(str(tmp_path / 'target'), str(tmp_path / 'link'))
    exc = refused(fileio.read_text, str(tmp_path / 'link'), '/etc/driverctl.d/css-0.0.0313')
    assert exc.msg == '/etc/driverctl.d/css-0.0.0313 is not a regular file; it is left alone'
    assert exc.path == '/etc/driverctl.d/css-0.0.0313'
    exc = refused(fileio.read_text, str(tmp_path))
    assert exc.msg == '%s is not a regular file; it is left alone' % tmp_path


def test_read_text_refuses_a_file_that_is_not_utf8(tmp_path):
    (tmp_path / 'bin').write_bytes(b'\xff\xfe')
    exc = refused(fileio.read_text, str(tmp_path / 'bin'), '/etc/x')
    assert exc.msg.startswith('/etc/x is not UTF-8 text (') and exc.msg.endswith('); it is left alone')


def test_write_atomic_creates_directories_sets_the_mode_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / 'etc' / 'mdevctl.d' / 'matrix' / 'uuid'
    fileio.write_atomic(str(path), '{}', 0o600)
    assert path.read_text() == '{}' and mode_of(path) == 0o600
    fileio.write_atomic(str(path), '{\n  "a": 1\n}')
    assert path.read_text() == '{\n  "a": 1\n}' and mode_of(path) == 0o644
    assert os.listdir(str(path.parent)) == ['uuid']


def test_write_atomic_writes_nothing_through_a_symlink(tmp_path):
    (tmp_path / 'real').write_text('old')
    os.symlink(str(tmp_path / 'real'), str(tmp_path / 'link'))
    exc = refused(fileio.write_atomic, str(tmp_path / 'link'), 'new', display='/etc/link')
    assert exc.msg == '/etc/link is not a regular file; it is left alone'
    assert (tmp_path / 'real').read_text() == 'old'


def test_write_atomic_refuses_a_directory_in_place_of_the_file(tmp_path):
    (tmp_path / 'd').mkdir()
    exc = refused(fileio.write_atomic, str(tmp_path / 'd'), 'x')
    assert exc.msg == '%s is not a regular file; it is left alone' % (tmp_path / 'd')


def test_write_atomic_refuses_a_symlinked_directory(tmp_path):
    (tmp_path / 'elsewhere').mkdir()
    os.symlink(str(tmp_path / 'elsewhere'), str(tmp_path / 'driverctl.d'))
    exc = refused(fileio.write_atomic, str(tmp_path / 'driverctl.d' / 'css-0.0.0313'), 'vfio_ccw\n',
                  display='/etc/driverctl.d/css-0.0.0313')
    assert exc.msg == '/etc/driverctl.d is a symbolic link; nothing is written through it'
    assert exc.path == '/etc/driverctl.d'
    assert os.listdir(str(tmp_path / 'elsewhere')) == []


def test_write_atomic_reports_the_errno_when_the_directory_cannot_be_made(tmp_path):
    (tmp_path / 'file').write_text('')
    exc = refused(fileio.write_atomic, str(tmp_path / 'file' / 'sub' / 'f'), 'x', display='/etc/file/sub/f')
    assert exc.msg.startswith('writing /etc/file/sub/f failed: ')
    assert exc.errno in (errno.EEXIST, errno.ENOTDIR) and exc.result()['errno'] in ('EEXIST', 'ENOTDIR')


def test_remove_deletes_a_file_and_accepts_one_that_is_missing(tmp_path):
    (tmp_path / 'f').write_text('x')
    fileio.remove(str(tmp_path / 'f'))
    fileio.remove(str(tmp_path / 'f'))
    fileio.remove(str(tmp_path / 'nodir' / 'f'))
    assert os.listdir(str(tmp_path)) == []


def test_remove_of_a_directory_fails_with_its_errno(tmp_path):
    (tmp_path / 'd').mkdir()
    exc = refused(fileio.remove, str(tmp_path / 'd'), '/etc/d')
    assert exc.msg == 'removing /etc/d failed: EISDIR (Is a directory)'
    assert exc.errno == errno.EISDIR and exc.path == '/etc/d'


def test_symlink_creates_keeps_and_corrects_the_link(tmp_path):
    link = tmp_path / 'wants' / 'unit.service'
    fileio.symlink(str(link), '../unit.service')
    assert os.readlink(str(link)) == '../unit.service'
    before = os.lstat(str(link)).st_ino
    fileio.symlink(str(link), '../unit.service')
    assert os.lstat(str(link)).st_ino == before
    fileio.symlink(str(link), '../other.service')
    assert os.readlink(str(link)) == '../other.service'


def test_symlink_replaces_a_regular_file(tmp_path):
    (tmp_path / 'unit.service').write_text('x')
    fileio.symlink(str(tmp_path / 'unit.service'), 'target')
    assert os.readlink(str(tmp_path / 'unit.service')) == 'target'


def test_symlink_failure_names_the_displayed_path(tmp_path):
    (tmp_path / 'file').write_text('')
    exc = refused(fileio.symlink, str(tmp_path / 'file' / 'wants' / 'l'), 't', display='/etc/l')
    assert exc.msg.startswith('linking /etc/l failed: ') and exc.path == '/etc/l'
