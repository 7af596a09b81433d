# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysfs attribute I/O: one ``write(2)`` a store, and the kernel's errno as a clear message."""

import errno as E
import os

from ._errors import SysfsError, errno_name

# What an errno means for a given attribute; the key ``None`` holds the fallback.
_HINTS = {
    E.EBUSY: {
        'bind': 'the device is already bound to a driver',
        'apmask': 'an adapter or domain it takes away is assigned to a mediated device',
        'aqmask': 'an adapter or domain it takes away is assigned to a mediated device',
        None: 'the device or resource is busy',
    },
    E.ENODEV: {
        'bind': 'the driver does not accept this device (its driver_override names another driver, '
                'or the device type does not match)',
        'unbind': 'the device is not bound to this driver',
        'drivers_probe': 'no such device on this bus',
        'remove': 'the device is going away',
        None: 'no such device, or the value is above the maximum the host supports',
    },
    E.EINVAL: {
        'driver_override': 'the value is too long (the kernel takes at most 4094 bytes, newline included)',
        'create': 'the value is not a UUID',
        None: 'the kernel rejected the value',
    },
    E.EEXIST: {None: 'a device with this name already exists'},
    E.EUSERS: {None: 'no instances of this mdev type are left (available_instances is 0)'},
    E.EADDRINUSE: {None: 'the adapter/domain pair is already assigned to another mediated device'},
    E.EADDRNOTAVAIL: {None: 'the adapter/domain pair is reserved for the host by /sys/bus/ap/apmask and aqmask'},
    E.EACCES: {None: 'the attribute is not writable'},
    E.EPERM: {None: 'the operation is not permitted (are you root?)'},
    E.ENOENT: {None: 'no such attribute'},
    E.EAGAIN: {None: 'the kernel asks to try again later'},
}


def hint(attribute, code):
    """What ``code`` means when writing ``attribute``."""
    table = _HINTS.get(code, {})
    return table.get(attribute) or table.get(None) or os.strerror(code)


def read(path, default=None, dir_fd=None, shown=None):
    """The attribute's text without its trailing newline, or ``default`` if it does not exist.

    With ``dir_fd``, ``path`` is relative to that open directory and ``shown`` names it in errors.
    """
    try:
        with os.fdopen(os.open(path, os.O_RDONLY, dir_fd=dir_fd), 'rb') as f:
            data = f.read()
    except (IOError, OSError) as exc:
        if exc.errno in (E.ENOENT, E.ENOTDIR):
            return default
        shown = shown or path
        raise SysfsError('reading %s failed: %s (%s)' % (shown, errno_name(exc.errno), exc.strerror),
                         path=shown, errno=exc.errno)
    return data.decode('utf-8', 'replace').rstrip('\n')


class Dirs(object):
    """Directories held open for one reading pass over sysfs.

    A path from / is looked up again component by component on every open, symlinks such as
    /sys/bus/mdev/devices/<uuid> resolved each time; below an open directory only the rest is.
    On a host with a thousand mdevs that is the difference between one pass and several.
    """

    def __init__(self):
        self._fds = {}
        self.device_dirs = {}  # uuid -> the directory its device lives in (its parent device)
        self.memo = {}  # what readers computed in this pass, by their own keys

    def fd(self, directory):
        """An open handle of ``directory`` (opened once), or None if it cannot be opened."""
        if directory not in self._fds:
            try:
                self._fds[directory] = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                self._fds[directory] = None
        return self._fds[directory]

    def read(self, directory, name, default=None):
        """read() of ``directory/name``."""
        fd = self.fd(directory)
        if fd is None:
            return default
        return read(name, default, dir_fd=fd, shown=os.path.join(directory, name))

    def readlink(self, directory, name):
        """The target of the symlink ``directory/name``, or None."""
        fd = self.fd(directory)
        try:
            return os.readlink(name, dir_fd=fd) if fd is not None else None
        except OSError:
            return None

    def target_dir(self, directory, name):
        """The directory the symlink ``directory/name`` points into (a bus link's device's parent), or None."""
        target = self.readlink(directory, name)
        return os.path.normpath(os.path.join(directory, os.path.dirname(target))) if target else None

    def close(self):
        """Close every handle."""
        for fd in self._fds.values():
            if fd is not None:
                os.close(fd)
        self._fds = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def link_name(path):
    """The last component of a symlink's target (a bound driver, an mdev type), or None."""
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return None


def write(path, value, device=None, display=None):
    """Write ``value`` plus a newline in one ``write(2)``, as ``echo value > path`` does.

    Raises SysfsError naming the device, the path, the value and the errno.
    """
    data = (value + '\n').encode('utf-8')
    shown = display or path
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        attribute = os.path.basename(path)
        msg = '%swriting %r to %s failed: %s (%s): %s' % (
            '%s: ' % device if device else '', value, shown, errno_name(exc.errno), exc.strerror,
            hint(attribute, exc.errno))
        raise SysfsError(msg, path=shown, value=value, errno=exc.errno, device=device)
    if written != len(data):
        raise SysfsError('%swriting %r to %s was cut short (%d of %d bytes)' % (
            '%s: ' % device if device else '', value, shown, written, len(data)), path=shown, value=value, device=device)
