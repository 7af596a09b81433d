# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SR-IOV as sysfs shows it: a physical function's ``sriov_*`` attributes and the PF/VF links.

A physical function (PF) has ``sriov_totalvfs``, ``sriov_numvfs``, ``sriov_offset``,
``sriov_stride`` and ``sriov_drivers_autoprobe``; the kernel links each of its virtual functions
(VFs) as ``virtfn<i>``, and each VF links its PF as ``physfn``. A VF has no ``sriov_*`` attributes.
"""

import os
import re

from .._core.errors import SysfsError
from .._sysfs import attr as _attr

TOTALVFS = 'sriov_totalvfs'
NUMVFS = 'sriov_numvfs'
AUTOPROBE = 'sriov_drivers_autoprobe'
_VIRTFN = re.compile(r'^virtfn([0-9]+)$')
_ADDRESS = re.compile(r'^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$')


def is_pf(dev):
    """True if the PCI device is an SR-IOV physical function (it has ``sriov_totalvfs``)."""
    return os.path.exists(dev.path(TOTALVFS))


def number(dev, name):
    """An ``sriov_*`` attribute as a number; SysfsError if it is missing or not a number."""
    text = dev.attr(name)
    if text is None or not text.isdigit():
        raise SysfsError('%s: %s reads %r, not a number' % (dev, dev.display(name), text),
                         path=dev.display(name), value=text, device=dev.name)
    return int(text)


def totalvfs(dev):
    """How many VFs the PF can have (``sriov_totalvfs``, which its driver may lower)."""
    return number(dev, TOTALVFS)


def numvfs(dev):
    """How many VFs are enabled now (``sriov_numvfs``)."""
    return number(dev, NUMVFS)


def drivers_autoprobe(dev):
    """Whether host drivers probe the PF's VFs when they are created (``sriov_drivers_autoprobe``)."""
    return dev.attr(AUTOPROBE) != '0'


def virtfns(dev):
    """The PF's VFs by their ``virtfn<i>`` links, in index order: their PCI addresses."""
    try:
        names = os.listdir(dev.path())
    except OSError:
        return []
    found = sorted((int(m.group(1)), name) for m, name in ((_VIRTFN.match(n), n) for n in names) if m)
    return [_attr.link_name(dev.path(name)) for _index, name in found]


def physfn(dev):
    """The address of the PF a VF belongs to (its ``physfn`` link), or None for any other device."""
    return _attr.link_name(dev.path('physfn'))


def vf_address(pf_address, offset, stride, index):
    """The address VF ``index`` (0-based) of a PF gets, as the kernel computes it from the routing id.

    PF routing id + offset + index * stride, with the carry going into the bus number
    (pci_iov_virtfn_bus() and pci_iov_virtfn_devfn()).
    """
    m = _ADDRESS.match(pf_address)
    domain, bus, slot, func = m.group(1), int(m.group(2), 16), int(m.group(3), 16), int(m.group(4))
    rid = (bus << 8 | slot << 3 | func) + offset + index * stride
    return '%s:%02x:%02x.%d' % (domain, rid >> 8, rid >> 3 & 0x1f, rid & 7)


def predicted_vfs(dev, count):
    """The addresses ``count`` VFs of the PF will have, from its ``sriov_offset`` and ``sriov_stride``.

    A device may change offset and stride with the count it is given (the SR-IOV specification
    allows it); the real run reports the addresses read back, check mode these.
    """
    if not count:
        return []
    offset, stride = number(dev, 'sriov_offset'), number(dev, 'sriov_stride')
    return [vf_address(dev.name, offset, stride, i) for i in range(count)]
