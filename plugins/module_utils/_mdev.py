# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mdev core as sysfs shows it: parents in ``/sys/class/mdev_bus``, their
``mdev_supported_types``, and active devices in ``/sys/bus/mdev/devices``."""

import os

from . import _attr


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

    def info(self):
        """name, device_api, available_instances and description, as mdevctl types shows them."""
        available = _attr.read(self.path('available_instances'))
        return {'name': _attr.read(self.path('name')), 'device_api': _attr.read(self.path('device_api')),
                'available_instances': int(available) if available and available.isdigit() else None,
                'description': _attr.read(self.path('description'))}


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


def active(host):
    """Every active mdev as ``{uuid: (parent, mdev type)}``, read from ``/sys/bus/mdev/devices``."""
    base = host.sys('bus', 'mdev', 'devices')
    out = {}
    try:
        names = os.listdir(base)
    except OSError:
        return out
    for uuid in names:
        link = os.path.join(base, uuid)
        parent = os.path.basename(os.path.dirname(os.path.realpath(link)))
        out[uuid] = (parent, _attr.link_name(os.path.join(link, 'mdev_type')))
    return out
