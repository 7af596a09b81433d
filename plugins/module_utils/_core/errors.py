# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors. Only the library raises; each module turns them into ``fail_json`` once."""


import errno as _errno


def errno_name(code):
    """``EBUSY`` for 16; None for None."""
    if code is None:
        return None
    return _errno.errorcode.get(code, str(code))


class VfioError(Exception):
    """Base error: a message and the path, value and errno it concerns."""

    def __init__(self, msg, path=None, value=None, errno=None, device=None, **extra):
        super(VfioError, self).__init__(msg)
        self.msg = msg
        self.path = path
        self.value = value
        self.errno = errno
        self.device = device
        self.extra = extra

    def add_note(self, note):
        """Append ``; note`` to the message (what was undone, what could not be restored)."""
        self.msg += '; ' + note
        self.args = (self.msg,)

    def result(self):
        """The keys a module adds to ``fail_json``."""
        out = {'msg': self.msg}
        for key in ('path', 'value', 'device'):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.errno is not None:
            out['errno'] = errno_name(self.errno)
        out.update(self.extra)
        return out


class InvalidArgument(VfioError):
    """A user-supplied name or value is malformed; nothing was written."""


class NotFound(VfioError):
    """A bus, device, driver, parent or type does not exist."""


class SysfsError(VfioError):
    """The kernel refused a sysfs read or write."""


class BindError(VfioError):
    """A device did not end up bound as requested."""


class ConfigError(VfioError):
    """A configuration file cannot be read or written."""


class InUseError(VfioError):
    """The change would take a device from a running guest or from the host; ``force`` allows it."""


class LockError(VfioError):
    """A host lock could not be taken in time."""


class CalloutError(VfioError):
    """An mdevctl callout script refused the change (or failed)."""


class ConflictError(VfioError):
    """The change would conflict with another device or the host (whole-system validation)."""
