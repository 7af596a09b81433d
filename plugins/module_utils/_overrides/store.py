# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persisted driver overrides, stored exactly as driverctl stores them.

``/etc/driverctl.d/<bus>-<device>`` holds the driver name and a newline, so driverctl and this
collection read each other's work.
"""

import errno as _errno
import os
import stat

from .._core import fileio as _fileio
from .._core.errors import ConfigError
from .._core.host import DRIVERCTL_BINS, DRIVERCTL_DIR
from .._core.names import printable


class OverrideStore(object):
    """``/etc/driverctl.d``: one file per persisted override."""

    def __init__(self, host):
        self.host = host
        self.dir = host.path(*DRIVERCTL_DIR)
        self.problems = []

    def path(self, bus, device):
        """The file of one device's override."""
        return os.path.join(self.dir, '%s-%s' % (bus, device))

    def get(self, bus, device):
        """The persisted driver of a device, or None."""
        path = self.path(bus, device)
        text = _fileio.read_text(path, self.host.display(path))
        return (text or '').strip() or None

    def set(self, bus, device, driver):
        """Persist ``driver`` for a device (written atomically)."""
        path = self.path(bus, device)
        _fileio.write_atomic(path, driver + '\n', 0o644, self.host.display(path), self.host.tools)

    def remove(self, bus, device):
        """Forget a device's persisted override."""
        path = self.path(bus, device)
        _fileio.remove(path, self.host.display(path))

    def put(self, bus, device, driver):
        """Set, or remove when ``driver`` is None."""
        if driver is None:
            self.remove(bus, device)
        else:
            self.set(bus, device, driver)

    def all(self):
        """Every persisted override as ``{(bus, device): driver}``.

        A file that cannot be read (a symbolic link, not UTF-8 text, a name that is not UTF-8) goes
        to ``problems`` (``bus``, ``device``, ``path``, ``msg``, all printable) and the rest is read.
        """
        out, self.problems = {}, []
        try:
            names = sorted(os.listdir(self.dir))
        except OSError as exc:
            if exc.errno != _errno.ENOENT:
                shown = self.host.display(self.dir)
                self.problems.append({'bus': None, 'device': None, 'path': shown,
                                      'msg': 'cannot list %s: %s' % (shown, exc.strerror)})
            return out
        for name in names:
            bus, sep, device = name.partition('-')
            path = os.path.join(self.dir, name)
            if not sep or name.startswith('.') or _is_dir(path):
                continue
            try:
                driver = self._read(bus, device, path)
            except ConfigError as exc:
                self.problems.append({'bus': printable(bus), 'device': printable(device), 'path': exc.path,
                                      'msg': exc.msg})
                continue
            if driver:
                out[(bus, device)] = driver
        return out

    def _read(self, bus, device, path):
        """The driver in one file of the listing; ConfigError (naming the file, printable) when it cannot be read."""
        shown = self.host.display(path)
        name = os.path.basename(path)
        if printable(name) != name:
            raise ConfigError('%s: the file name is not UTF-8, so it names no device; it is left alone' % shown,
                              path=shown)
        return self.get(bus, device)


def _is_dir(path):
    """True for a directory itself (not a link to one): not an override file, skipped."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def driverctl_installed(host):
    """True if driverctl is installed below the root (its units then apply the files)."""
    return any(os.path.exists(host.path(*p)) for p in DRIVERCTL_BINS)
