# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Buses and devices as sysfs shows them under ``/sys/bus/<bus>``."""

import os

from . import attr as _attr, uevent as _udev
from .._core.errors import NotFound

UNSET_OVERRIDE = ('(null)', '')


class Bus(object):
    """``/sys/bus/<name>``: its devices, drivers and ``drivers_probe``."""

    def __init__(self, host, name):
        self.host = host
        self.name = name

    def path(self, *parts):
        """A path below the bus directory."""
        return self.host.bus(self.name, *parts)

    @property
    def exists(self):
        """True if the bus is registered."""
        return os.path.isdir(self.path())

    def require(self):
        """Raise NotFound unless the bus exists; return self."""
        if not self.exists:
            raise NotFound('bus %s does not exist (%s is missing)' % (self.name, self.host.display(self.path())),
                           path=self.host.display(self.path()))
        return self

    def device_names(self):
        """Names of the bus's devices, sorted."""
        names = _udev.list_devices(self.host, self.name)
        if names is not None:
            return names
        try:
            return sorted(os.listdir(self.path('devices')))
        except OSError:
            return []

    def device(self, name, dirs=None):
        """The device ``name`` of this bus (it may not exist); ``dirs`` (a ReadPass) for a reading pass."""
        return Device(self, name, dirs)

    def has_driver(self, driver):
        """True if ``driver`` is registered on this bus."""
        return os.path.isdir(self.path('drivers', driver))

    def driver_path(self, driver, *parts):
        """A path below ``drivers/<driver>``."""
        return self.path('drivers', driver, *parts)


class Device(object):
    """A device of a bus; properties read sysfs each time (the kernel may change it)."""

    def __init__(self, bus, name, dirs=None):
        self.bus = bus
        self.host = bus.host
        self.name = name
        self._dirs = dirs
        self._where = None
        if dirs is not None:
            # the directory the device lives in, from one readlink of its bus link: its attributes
            # are then read relative to it rather than through the link each time
            self._where = dirs.target_dir(bus.path('devices'), name)

    def _read(self, part, default=None):
        if self._where is None:
            return _attr.read(self.path(part), default)
        return self._dirs.read(self._where, os.path.join(self.name, part), default)

    def _link_name(self, part):
        if self._where is None:
            return _attr.link_name(self.path(part))
        target = self._dirs.readlink(self._where, os.path.join(self.name, part))
        return os.path.basename(target) if target else None

    def __str__(self):
        return '%s device %s' % (self.bus.name, self.name)

    def __eq__(self, other):
        return isinstance(other, Device) and (self.bus.name, self.name) == (other.bus.name, other.name)

    def __hash__(self):
        return hash((self.bus.name, self.name))

    def path(self, *parts):
        """A path below the device's directory (through the bus link)."""
        return self.bus.path('devices', self.name, *parts)

    def display(self, *parts):
        """The path as it is on the host, for messages."""
        return self.host.display(self.path(*parts))

    @property
    def exists(self):
        """True if the device is present."""
        return os.path.exists(self.path())

    def require(self):
        """Raise NotFound unless the device exists; return self."""
        self.bus.require()
        if not self.exists:
            raise NotFound('%s does not exist (%s is missing)' % (self, self.display()),
                           path=self.display(), device=self.name)
        return self

    @property
    def driver(self):
        """The bound driver's name, or None."""
        return self._link_name('driver')

    @property
    def supports_override(self):
        """True if the device has a ``driver_override`` attribute."""
        return os.path.exists(self.path('driver_override'))

    @property
    def override(self):
        """The driver_override, or None when unset (``(null)``, or empty on AP queues)."""
        return self.read_override()[1]

    def read_override(self):
        """``(supported, override)`` from one read: whether the attribute exists, and its value as ``override``."""
        value = self._read('driver_override')
        return value is not None, None if value is None or value in UNSET_OVERRIDE else value

    def attr(self, name, default=None):
        """Read an attribute of the device."""
        return self._read(name, default)

    def write(self, name, value):
        """Write an attribute of the device."""
        _attr.write(self.path(name), value, device=str(self), display=self.display(name))

    @property
    def iommu_group(self):
        """The IOMMU group's name, or None."""
        return self._link_name('iommu_group')

    def link_name(self, part):
        """The last component of the target of the device's link ``part`` (``physfn``, ``virtfn0``), or None."""
        return self._link_name(part)
