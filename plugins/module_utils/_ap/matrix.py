# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A vfio_ap matrix device's assignments: what the kernel shows (``matrix``, ``control_domains``)
and what a definition's ``assign_*``/``unassign_*`` attrs ask for."""

import os

from .._core.errors import SysfsError
from .._mdev import sysfs as _mdev
from .._sysfs import attr as _attr
from .._sysfs.attr import kstrtoul

KINDS = ('adapter', 'domain', 'control_domain')  # what a vfio_ap matrix assigns, in assignment order


def empty_matrix():
    """``{kind: set()}`` for every kind of assignment."""
    return dict((kind, set()) for kind in KINDS)


def is_ap(mdev_type):
    """True for vfio_ap's matrix types."""
    return (mdev_type or '').startswith('vfio_ap')


def read_matrix(host, uuid, dirs=None):
    """A running vfio_ap device's assignments ``{kind: set of ids}``, or None for other devices.

    With ``dirs`` (the reading pass running() filled), the device is read once per pass.
    """
    if dirs is None:
        return _parse_matrix(host, uuid, lambda name: _attr.read(_mdev.device_path(host, uuid, name)))
    key = ('ap_matrix', uuid)
    if key not in dirs.memo:
        where = dirs.device_dirs.get(uuid)

        def get(name):
            if where:
                return dirs.read(where, os.path.join(uuid, name))
            return _attr.read(_mdev.device_path(host, uuid, name))
        dirs.memo[key] = _parse_matrix(host, uuid, get)
    return dirs.memo[key]


def _parse_matrix(host, uuid, get):
    """The assignments from ``get(attribute)`` of a device, or None when it has no matrix."""
    matrix = get('matrix')
    if matrix is None:
        return None
    out = empty_matrix()
    try:
        for line in matrix.split():
            adapter, _sep, domain = line.partition('.')
            if adapter:
                out['adapter'].add(int(adapter, 16))
            if domain:
                out['domain'].add(int(domain, 16))
        for line in (get('control_domains') or '').split():
            out['control_domain'].add(int(line, 16))
    except ValueError:
        raise SysfsError('mdev %s: cannot read its matrix %r' % (uuid, matrix), path=host.display(
            _mdev.device_path(host, uuid, 'matrix')))
    return out


def wanted_matrix(attrs):
    """The assignments a vfio_ap attrs list asks for, applying assign/unassign in order."""
    out = empty_matrix()
    for name, value in attrs:
        for kind in KINDS:
            if name in ('assign_' + kind, 'unassign_' + kind):
                number = kstrtoul(value)
                if number is None:
                    continue  # the kernel will say EINVAL when it is written
                (out[kind].add if name.startswith('assign') else out[kind].discard)(number)
    return out


def matrix_writes(current, wanted):
    """The ``unassign_*`` then ``assign_*`` writes that take a running matrix to ``wanted``: [(name, value)].

    Unassigning first never gives a guest more than it ends with; the order within a kind is by id.
    """
    writes = []
    for kind in KINDS:
        writes += [('unassign_' + kind, '%#x' % i) for i in sorted(current[kind] - wanted[kind])]
    for kind in KINDS:
        writes += [('assign_' + kind, '%#x' % i) for i in sorted(wanted[kind] - current[kind])]
    return writes
