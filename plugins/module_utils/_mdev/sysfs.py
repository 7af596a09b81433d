# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mdev core as sysfs shows it: parents in ``/sys/class/mdev_bus``, their
``mdev_supported_types``, and active devices in ``/sys/bus/mdev/devices``."""

import os

from .._core import names as _names
from .._core.errors import InvalidArgument, NotFound, SysfsError
from .._sysfs import attr as _attr
from .._sysfs.readpass import ReadPass


class MdevType(object):
    """An mdev type of a parent: ``mdev_supported_types/<type>``."""

    def __init__(self, parent, type_id):
        self.parent = parent
        self.id = type_id

    def path(self, *parts):
        """A path below the type directory."""
        return self.parent.path('mdev_supported_types', self.id, *parts)

    @property
    def exists(self):
        """True if the parent offers this type."""
        return os.path.isdir(self.path())

    def available(self):
        """available_instances, or None when it cannot be read."""
        return _count(_attr.read(self.path('available_instances')))

    def info(self, dirs=None):
        """name, device_api, available_instances and description, as mdevctl types shows them.

        With ``dirs`` (a ReadPass) the type's directory is read in that pass (a listing's one pass).
        """
        if dirs is None:
            with ReadPass() as own:
                return self.info(own)
        here = self.path()
        return {'name': dirs.read(here, 'name'), 'device_api': dirs.read(here, 'device_api'),
                'available_instances': _count(dirs.read(here, 'available_instances')),
                'description': dirs.read(here, 'description')}


def _count(text):
    """A count the kernel shows, or None when it shows none."""
    return int(text) if text and text.isdigit() else None


class Parent(object):
    """A device registered with the mdev core (``/sys/class/mdev_bus/<name>``)."""

    def __init__(self, host, name):
        self.host = host
        self.name = name

    def path(self, *parts):
        """A path below the parent device."""
        return self.host.sys('class', 'mdev_bus', self.name, *parts)

    @property
    def exists(self):
        """True if the parent is registered."""
        return os.path.isdir(self.path('mdev_supported_types'))

    def types(self):
        """The parent's mdev types, sorted by id."""
        try:
            names = sorted(os.listdir(self.path('mdev_supported_types')))
        except OSError:
            return []
        return [MdevType(self, n) for n in names]


def parent_names(host):
    """Names of every registered mdev parent, sorted."""
    try:
        return sorted(os.listdir(host.sys('class', 'mdev_bus')))
    except OSError:
        return []


def running(host, dirs=None):
    """Every running mdev as ``{uuid: (parent, mdev type)}``, read from ``/sys/bus/mdev/devices``.

    With ``dirs`` (a ReadPass), the devices' directories are remembered there for later reads.
    An entry whose name is not a uuid (as the kernel names mdevs: lowercase, hyphenated) is
    skipped, as mdevctl skips it.
    """
    if dirs is None:
        with ReadPass() as own:
            return running(host, own)
    base = host.sys('bus', 'mdev', 'devices')
    out = {}
    try:
        names = os.listdir(base)
    except OSError:
        return out
    for uuid in names:
        if not is_uuid(uuid):
            continue
        # ../../../devices/<path of the parent>/<uuid>: one readlink; the parent's directory is then
        # opened once for all of its devices
        parent_dir = dirs.target_dir(base, uuid)
        if parent_dir is None:
            continue  # removed since listdir
        mdev_type = dirs.readlink(parent_dir, uuid + '/mdev_type')
        dirs.device_dirs[uuid] = parent_dir
        out[uuid] = (os.path.basename(parent_dir), os.path.basename(mdev_type) if mdev_type else None)
    return out


def is_uuid(name):
    """True if ``name`` is a uuid in the kernel's form (lowercase, hyphenated)."""
    try:
        return _names.uuid(name) == name
    except InvalidArgument:
        return False


def device_path(host, uuid, *parts):
    """A path below a running mdev (through ``/sys/bus/mdev/devices``)."""
    return host.sys('bus', 'mdev', 'devices', uuid, *parts)


def suggest_parent(host, name):
    """The registered parent closest to ``name`` (case first, then spelling), or None."""
    names = parent_names(host)
    for candidate in names:
        if candidate.lower() == name.lower():
            return candidate
    import difflib  # here: only a failing task asks for a suggestion
    close = difflib.get_close_matches(name, names, n=1)
    return close[0] if close else None


def device_not_registered(host, name):
    """``(bus, driver)`` of a device named ``name`` that is not an mdev parent, or None if there is none."""
    try:
        buses = sorted(os.listdir(host.sys('bus')))
    except OSError:
        return None
    for bus in buses:
        device = host.sys('bus', bus, 'devices', name)
        if os.path.exists(device):
            driver = os.path.join(device, 'driver')
            return bus, os.path.basename(os.readlink(driver)) if os.path.islink(driver) else None
    return None


def require_type(host, parent_name, type_id):
    """The MdevType, or NotFound naming what exists (and the closest parent, as mdevctl does)."""
    parent = Parent(host, parent_name)
    if not parent.exists:
        found = device_not_registered(host, parent_name)
        if found:
            bus, driver = found
            raise NotFound('mdev parent %s is not registered: %s device %s is there, but %s, and only a driver that '
                           'registers with the mdev core (vfio_ccw for a subchannel, vfio_ap for the matrix) makes a '
                           'parent; bind it first with vfio.passthrough.driver_override'
                           % (parent_name, bus, parent_name, 'its driver is %s' % driver if driver else 'it has no driver'),
                           path=host.display(parent.path()), value=parent_name, device=parent_name)
        hint = suggest_parent(host, parent_name)
        raise NotFound('mdev parent %s does not exist (%s is missing)%s' % (
            parent_name, host.display(parent.path()), '; did you mean %s?' % hint if hint else
            '; registered parents: %s' % (', '.join(parent_names(host)) or 'none')),
            path=host.display(parent.path()), value=parent_name)
    mtype = MdevType(parent, type_id)
    if not mtype.exists:
        raise NotFound('mdev parent %s has no type %s; it offers %s' % (
            parent_name, type_id, ', '.join(t.id for t in parent.types()) or 'none'),
            path=host.display(mtype.path()), value=type_id)
    return mtype


def write_attr(host, uuid, name, value):
    """Write one attribute of a running mdev."""
    path = device_path(host, uuid, name)
    _attr.write(path, value, device='mdev %s' % uuid, display=host.display(path))


def create(host, definition):
    """Create the device and write its attrs in order; remove it again if a write fails."""
    d = definition
    mtype = require_type(host, d.parent, d.mdev_type)
    if mtype.available() == 0:
        raise NotFound('mdev type %s of parent %s has no instances left (available_instances is 0)' % (
            d.mdev_type, d.parent), path=host.display(mtype.path('available_instances')), value=d.uuid)
    _attr.write(mtype.path('create'), d.uuid, device='mdev %s' % d.uuid, display=host.display(mtype.path('create')))
    for index, (name, value) in enumerate(d.attrs):
        try:
            write_attr(host, d.uuid, name, value)
        except SysfsError as exc:
            try:
                remove(host, d.uuid)
                exc.add_note('attrs[%d] (%r: %r) failed, so the device was removed again' % (index, name, value))
            except SysfsError as again:
                exc.add_note('removing the device failed too: %s' % again.msg)
            exc.extra['attribute'] = name
            raise


def remove(host, uuid):
    """Stop (remove) a running mdev."""
    write_attr(host, uuid, 'remove', '1')
