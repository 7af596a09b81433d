# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What unbinding a device would take from a guest or from the host, found before anything is written.

Unbinding the parent of a running mdev destroys the guest's device; unbinding a PCI device
whose network interface is up, or whose disk is mounted, takes it from the host. These are
found here so that a plan can refuse them (or, with ``force``, say what was taken from whom).
"""

import os

from .._core.host import PROC_MOUNTS
from .._sysfs import attr as _attr
from .._sriov.sysfs import virtfns
from .._sysfs.device import Bus

QDIO_CUTYPE = '1731/'  # OSA-Express, HiperSockets and FCP: QDIO control units, which vfio_ccw refuses


def running_children(running):
    """``{parent name: [(uuid, mdev type)]}`` from ``_mdev.sysfs.running()``."""
    out = {}
    for uuid, (parent, mdev_type) in sorted(running.items()):
        out.setdefault(parent, []).append((uuid, mdev_type))
    return out


def users(host, dev, children):
    """What the device's current driver serves: running mdevs, interfaces that are up, mounted disks; for an
    SR-IOV PF also what its VFs serve, because most PF drivers remove their VFs when they are unbound."""
    found = ['running mdev %s (%s)' % child for child in children.get(dev.name, [])]
    if dev.bus.name == 'pci':
        found += _interfaces_up(dev)
    return found + _mounted_disks(host, dev) + _vfs_users(host, dev, children)


def vfs_users(host, bus, names, children):
    """``(vf, what)`` for each user of the VFs ``names``: what removing them takes, a guest that may hold one
    (a vfio driver) first, then what ``users`` finds."""
    for name in names:
        vf = bus.device(name)
        driver = vf.driver
        if driver is not None and 'vfio' in driver:
            yield name, 'bound to %s (a guest may hold it)' % driver
        for what in users(host, vf, children):
            yield name, what


def _vfs_users(host, dev, children):
    """What the VFs of a PF serve, each named ("its VF ..."); nothing for any other device."""
    if dev.bus.name != 'pci':
        return []
    return ['its VF %s: %s' % pair for pair in vfs_users(host, dev.bus, virtfns(dev), children)]


def online_ccw(dev):
    """The ccw device of a css subchannel while it is online (the host drives it), else None."""
    if dev.bus.name != 'css' or dev.driver != 'io_subchannel':
        return None
    busid = dev.attr('dev_busid')
    ccw = Bus(dev.host, 'ccw').device(busid) if busid else None
    return ccw if ccw is not None and ccw.attr('online') == '1' else None


def qdio(dev):
    """For a css subchannel of a QDIO device, a sentence saying so; else None."""
    if dev.bus.name != 'css':
        return None
    busid = dev.attr('dev_busid')
    cutype = _attr.read(dev.host.bus('ccw', 'devices', busid, 'cutype')) if busid else None
    if cutype and cutype.startswith(QDIO_CUTYPE):
        return '%s is the subchannel of QDIO device %s (control unit %s), which vfio_ccw cannot take' % (
            dev, busid, cutype)
    return None


def _interfaces_up(dev):
    try:
        names = sorted(os.listdir(dev.path('net')))
    except OSError:
        return []
    return ['network interface %s (up)' % name for name in names
            if _attr.read(dev.path('net', name, 'operstate')) == 'up']


def _mounted_disks(host, dev):
    here = os.path.realpath(dev.path())
    try:
        blocks = os.listdir(host.sys('class', 'block'))
    except OSError:
        return []
    mine = [b for b in blocks if os.path.realpath(host.sys('class', 'block', b)).startswith(here + os.sep)]
    if not mine:
        return []
    mounts = _attr.read(host.path(*PROC_MOUNTS), '') or ''
    found = []
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) > 1 and fields[0].startswith('/dev/') and fields[0][5:] in mine:
            found.append('%s mounted on %s' % (fields[0], fields[1]))
    return found
