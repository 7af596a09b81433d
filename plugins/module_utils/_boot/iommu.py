# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the IOMMU is on, which vendor's CPU (and so which IOMMU) the host has, and the argument that turns it on."""

import os
from collections import OrderedDict

from .._core.errors import InvalidArgument
from .._core.host import CMDLINE, CPUINFO
from .._sysfs import attr as _attr
from . import cmdline as _cmdline

# /proc/cpuinfo's vendor_id -> the IOMMU of that platform (Hygon's Dhyana CPUs have AMD's IOMMU)
VENDORS = {'GenuineIntel': 'intel', 'AuthenticAMD': 'amd', 'HygonGenuine': 'amd'}
ARGS = {'intel': 'intel_iommu=on', 'amd': 'amd_iommu=on'}
NOIOMMU = 'vfio-noiommu'  # the name of the groups vfio makes for emulated devices (mdevs) without an IOMMU


def _names(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def state(host):
    """``{enabled, groups, units}``: the IOMMU groups (vfio-noiommu groups not counted) and IOMMU units.

    The IOMMU is on when the kernel made IOMMU groups (``/sys/kernel/iommu_groups``) or registered IOMMU
    units (``/sys/class/iommu``: dmar0, ivhd0, ...).
    """
    groups_dir = host.sys('kernel', 'iommu_groups')
    groups = [g for g in _names(groups_dir) if _attr.read(os.path.join(groups_dir, g, 'name')) != NOIOMMU]
    units = _names(host.sys('class', 'iommu'))
    return OrderedDict([('enabled', bool(groups or units)), ('groups', len(groups)), ('units', units)])


def running_cmdline(host):
    """``/proc/cmdline``: the command line the running kernel was booted with ('' where it is missing)."""
    return (_attr.read(host.path(*CMDLINE), '') or '').strip()


def vendor_id(host):
    """The ``vendor_id`` of ``/proc/cpuinfo`` (GenuineIntel, AuthenticAMD, ...), or None."""
    text = _attr.read(host.path(*CPUINFO), '') or ''
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        if sep and key.strip() == 'vendor_id':
            return value.strip()
    return None


def iommu_arg(host, choice, enabled, running):
    """The argument that turns the IOMMU on, to keep on the command line, or None.

    ``choice``: ``intel`` or ``amd`` always give theirs; ``none`` gives none; ``auto`` takes the
    vendor of the CPU, and gives the argument when the IOMMU is off, or when the running kernel was
    booted with it (it may be on because of it). An IOMMU that is on without it is left alone.
    """
    if choice == 'none':
        return None
    if choice in ARGS:
        return ARGS[choice]
    vendor = vendor_id(host)
    kind = VENDORS.get(vendor)
    if kind is None:
        if enabled:
            return None
        cpuinfo = host.display(host.path(*CPUINFO))
        which = 'vendor_id %s in %s is neither Intel nor AMD' % (vendor, cpuinfo) if vendor else (
            '%s names no vendor_id' % cpuinfo)
        raise InvalidArgument('the IOMMU is off (no IOMMU groups in /sys/kernel/iommu_groups, no units in '
                              '/sys/class/iommu) and %s: set iommu to intel or amd, or to none to leave the command '
                              'line alone' % which, value=vendor, field='iommu', path=cpuinfo)
    arg = ARGS[kind]
    key = _cmdline.key_value(arg)[0]
    if not enabled or any(_cmdline.key_value(a)[0] == key for a in _cmdline.split(running)):
        return arg
    return None
