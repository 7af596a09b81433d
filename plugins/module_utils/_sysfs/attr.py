# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysfs attribute I/O: one ``write(2)`` a store, and the kernel's errno as a clear message."""

import errno as E
import os

from .._core.errors import SysfsError, errno_name
from .._core.fileio import read_fd

# What an errno means for a given attribute; the key ``None`` holds the fallback.
_HINTS = {
    E.EBUSY: {
        'bind': 'the device is already bound to a driver',
        'apmask': 'an adapter or domain it takes away is assigned to a mediated device',
        'aqmask': 'an adapter or domain it takes away is assigned to a mediated device',
        'sriov_numvfs': 'virtual functions are enabled already; the kernel takes a new count only from 0',
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
    E.ENOENT: {'sriov_numvfs': 'no driver is bound to the physical function, or its driver cannot configure SR-IOV '
                               '(vfio-pci only with enable_sriov=1)',
               None: 'no such attribute'},
    E.ERANGE: {'sriov_numvfs': 'the count is above sriov_totalvfs', None: 'the value is out of range'},
    E.ENOMEM: {'sriov_numvfs': 'the bus numbers below the bridge or the MMIO space cannot hold that many virtual '
                               'functions (see the kernel log)',
               None: 'out of memory'},
    E.EAGAIN: {None: 'the kernel asks to try again later'},
}


def hint(attribute, code):
    """What ``code`` means when writing ``attribute``."""
    table = _HINTS.get(code, {})
    return table.get(attribute) or table.get(None) or os.strerror(code)


def read(path, default=None, dir_fd=None, shown_dir=None):
    """The attribute's text without its trailing newline, or ``default`` if it does not exist.

    With ``dir_fd``, ``path`` is relative to that open directory and ``shown_dir`` names the directory
    in errors (joined only then: a listing reads thousands of attributes).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
        try:
            data = read_fd(fd)
        finally:
            os.close(fd)
    except (IOError, OSError) as exc:
        if exc.errno in (E.ENOENT, E.ENOTDIR):
            return default
        shown = os.path.join(shown_dir, path) if shown_dir else path
        raise SysfsError('reading %s failed: %s (%s)' % (shown, errno_name(exc.errno), exc.strerror),
                         path=shown, errno=exc.errno)
    return data.decode('utf-8', 'replace').rstrip('\n')


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


def kstrtoul(text):
    """The number the kernel's ``kstrtoul(text, 0)`` reads, or None where it answers EINVAL/ERANGE.

    Exactly the kernel's rules: one optional ``+``, ``0x`` hex (only when a hex digit follows),
    a leading ``0`` octal, otherwise decimal, one trailing newline allowed, nothing else (no
    blanks, no ``_``, no sign ``-``), at most 64 bits.
    """
    body = text[:-1] if text.endswith('\n') else text
    if body.startswith('+'):
        body = body[1:]
    if body[:2].lower() == '0x' and body[2:3] and body[2] in _HEX:
        base, digits = 16, body[2:]
    elif body.startswith('0'):
        base, digits = 8, body
    else:
        base, digits = 10, body
    allowed = _HEX if base == 16 else _HEX[:base]
    if not digits or any(c not in allowed for c in digits):
        return None
    value = int(digits, base)
    return value if value < 1 << 64 else None


_HEX = '0123456789abcdefABCDEF'
