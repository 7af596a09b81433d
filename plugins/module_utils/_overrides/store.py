# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persisted driver overrides, stored exactly as driverctl stores them.

``/etc/driverctl.d/<bus>-<device>`` holds the driver name and a newline, so driverctl and this
collection read each other's work.
"""

import os

from .._core import fileio as _fileio
from .._core.host import DRIVERCTL_BINS, DRIVERCTL_DIR


class OverrideStore(object):
    """``/etc/driverctl.d``: one file per persisted override."""

    def __init__(self, host):
        self.host = host
        self.dir = host.path(*DRIVERCTL_DIR)

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
        _fileio.write_atomic(path, driver + '\n', 0o644, self.host.display(path))

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
        """Every persisted override as ``{(bus, device): driver}``."""
        out = {}
        try:
            names = sorted(os.listdir(self.dir))
        except OSError:
            return out
        for name in names:
            bus, sep, device = name.partition('-')
            if sep and not name.startswith('.') and os.path.isfile(os.path.join(self.dir, name)):
                driver = self.get(bus, device)
                if driver:
                    out[(bus, device)] = driver
        return out


def driverctl_installed(host):
    """True if driverctl is installed below the root (its units then apply the files)."""
    return any(os.path.exists(host.path(*p)) for p in DRIVERCTL_BINS)
