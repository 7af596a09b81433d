# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Configuration files: read, atomic replace, remove. A crash leaves the old or the new file."""

import errno as E
import os
import stat
import tempfile

from .errors import ConfigError, errno_name
from .tools import Tools


def _fail(action, path, exc, display):
    shown = display or path
    raise ConfigError('%s %s failed: %s (%s)' % (action, shown, errno_name(exc.errno), exc.strerror),
                      path=shown, errno=exc.errno)


def read_fd(fd):
    """Everything left to read from ``fd``, in plain read(2)s (a buffered file object costs twice as much)."""
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


def read_text(path, display=None):
    """The file's text, or None if it does not exist. A symlink or a directory is an error.

    Line ends are read as text mode reads them (``\\r\\n`` and ``\\r`` as ``\\n``).
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        if exc.errno in (E.ENOENT, E.ENOTDIR):
            return None
        _fail('reading', path, exc, display)
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError('%s is not a regular file; it is left alone' % (display or path), path=display or path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            data = read_fd(fd)
        finally:
            os.close(fd)
        text = data.decode('utf-8')
    except UnicodeDecodeError as exc:
        raise ConfigError('%s is not UTF-8 text (%s); it is left alone' % (display or path, exc.reason),
                          path=display or path)
    except (IOError, OSError) as exc:
        _fail('reading', path, exc, display)
    return text.replace('\r\n', '\n').replace('\r', '\n') if '\r' in text else text


def write_atomic(path, text, mode=0o644, display=None, tools=None):
    """Replace ``path`` with ``text``: temporary file, fsync, ``tools.replace`` (a rename), fsync of the directory."""
    directory = os.path.dirname(path)
    try:
        if os.path.islink(directory):
            raise ConfigError('%s is a symbolic link; nothing is written through it' % os.path.dirname(display or path),
                              path=os.path.dirname(display or path))
        if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
            raise ConfigError('%s is not a regular file; it is left alone' % (display or path), path=display or path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
        try:
            with os.fdopen(fd, 'w') as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)
            (tools or Tools()).replace(tmp, path)
            os.chmod(path, mode)  # atomic_move gives a new file the umask's mode
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except (IOError, OSError) as exc:
        _fail('writing', path, exc, display)


def remove(path, display=None):
    """Remove a file; a missing file is fine."""
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno not in (E.ENOENT, E.ENOTDIR):
            _fail('removing', path, exc, display)


def symlink(path, target, display=None):
    """Create or correct a symlink (used to enable a systemd unit)."""
    try:
        if os.path.islink(path) and os.readlink(path) == target:
            return
        if os.path.lexists(path):
            os.unlink(path)
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        os.symlink(target, path)
    except OSError as exc:
        _fail('linking', path, exc, display)
