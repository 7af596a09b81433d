# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The udev rule that gives each physical function its virtual functions again at boot.

The kernel forgets ``sriov_numvfs`` at every boot. One line per PF writes it when the PF's
uevent comes: ``add`` at coldplug, when the PF's driver is usually bound already, and ``bind``
for a driver that binds later (the kernel refuses the count, ENOENT, while no driver is bound).
A PF that is to have no VFs has no line; the file goes when no line is left. Lines the
collection did not write are kept as they are.
"""

import re
from collections import OrderedDict

from .._core import fileio as _fileio
from .._core import services
from .._core.host import SRIOV_RULE

HEADER = ('# Installed by the vfio.passthrough Ansible collection (vfio.passthrough.sriov): the SR-IOV virtual\n'
          '# functions each physical function gets at boot. The kernel takes sriov_numvfs only while the PF\'s\n'
          '# driver is bound: "add" comes at coldplug (the driver bound already), "bind" when it binds later.\n')
_LINE = re.compile(r'^ACTION=="add\|bind", SUBSYSTEM=="pci", KERNEL=="([0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])"'
                   r'(, ATTR\{sriov_drivers_autoprobe\}="0")?, ATTR\{sriov_numvfs\}="([0-9]+)"$')


class Entry(object):
    """What one PF gets at boot: ``numvfs`` VFs, probed by host drivers unless ``autoprobe`` is False."""

    def __init__(self, numvfs, autoprobe=True):
        self.numvfs = numvfs
        self.autoprobe = autoprobe

    def __eq__(self, other):
        return isinstance(other, Entry) and (self.numvfs, self.autoprobe) == (other.numvfs, other.autoprobe)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.numvfs, self.autoprobe))

    def describe(self):
        """Words for actions: ``4 VFs`` or ``4 VFs (not autoprobed)``."""
        return '%d VFs%s' % (self.numvfs, '' if self.autoprobe else ' (not autoprobed)')


def line(device, entry):
    """The rule line of one PF."""
    return ('ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="%s"%s, ATTR{sriov_numvfs}="%d"'
            % (device, '' if entry.autoprobe else ', ATTR{sriov_drivers_autoprobe}="0"', entry.numvfs))


def parse(text):
    """``(entries, others)``: each PF's Entry by address, and the lines the collection did not write."""
    entries, others = OrderedDict(), []
    for raw in (text or '').splitlines():
        m = _LINE.match(raw.strip())
        if m:
            entries[m.group(1)] = Entry(int(m.group(3)), m.group(2) is None)
        elif raw.strip() and not raw.startswith('#'):
            others.append(raw)
    return entries, others


def render(entries, others):
    """The file's text, PFs in address order then the other lines; None when there is nothing to keep."""
    lines = [line(device, entries[device]) for device in sorted(entries)] + list(others)
    return HEADER + ''.join(item + '\n' for item in lines) if lines else None


class SriovRule(object):
    """The collection's rule file below the host's root."""

    def __init__(self, host):
        self.host = host
        self.path = host.path(*SRIOV_RULE)
        self.display = host.display(self.path)

    def read(self):
        """``(entries, others)`` of the file as it is now."""
        return parse(_fileio.read_text(self.path, self.display))

    def get(self, device):
        """The PF's Entry, or None when it has no line."""
        return self.read()[0].get(device)

    def lines(self, changes=()):
        """The rule lines after applying ``changes`` ((device, Entry or None) pairs) to the file."""
        entries, others = self.read()
        for device, entry in changes:
            set_entry(entries, device, entry)
        return [line(device, entries[device]) for device in sorted(entries)] + list(others)

    def put(self, device, entry):
        """Set (or with None, remove) the PF's line, write the file atomically and have udev reload it."""
        entries, others = self.read()
        set_entry(entries, device, entry)
        text = render(entries, others)
        if text is None:
            _fileio.remove(self.path, self.display)
        else:
            _fileio.write_atomic(self.path, text, 0o644, self.display, self.host.tools)
        services.reload_udev(self.host)


def set_entry(entries, device, entry):
    """Set or remove one PF's Entry in a mapping of them."""
    if entry is None:
        entries.pop(device, None)
    else:
        entries[device] = entry
