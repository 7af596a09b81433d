# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PCI devices selected by id, as vfio-pci's ``ids=`` parameter selects them.

An id is ``vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]`` in hex; the fields left
out on the right match any device, and a device matches as pci_match_one_id() decides.
"""

from .._core import names as _names
from .._core.errors import InvalidArgument, NotFound
from .._sysfs.device import Bus
from .._sysfs.readpass import ReadPass

PCI_ANY_ID = 0xffffffff  # what the kernel reads for a vendor or device field left out, or given as ffffffff


class PciId(object):
    """One id of ``ids``, validated, and which devices it matches."""

    def __init__(self, text, field='ids'):
        self.text = text
        fields = _names.pci_id_fields(text, field)
        numbers = [int(f, 16) for f in fields] + [PCI_ANY_ID] * (4 - min(len(fields), 4))
        self.vendor, self.device, self.subvendor, self.subdevice = numbers[:4]
        self.pci_class, self.class_mask = numbers[4:6] if len(fields) == 6 else (0, 0)

    def matches(self, read):
        """True if the device whose attributes ``read(name)`` gives matches, as pci_match_one_id() decides."""
        wanted = (('vendor', self.vendor), ('device', self.device), ('subsystem_vendor', self.subvendor),
                  ('subsystem_device', self.subdevice))
        if any(want != PCI_ANY_ID and _number(read(name)) != want for name, want in wanted):
            return False
        if not self.class_mask:
            return True
        have = _number(read('class'))
        return have is not None and not (have ^ self.pci_class) & self.class_mask


def _number(text):
    """The value of a hex attribute such as ``0x10de``, or None."""
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None


def _attribute_reader(dev):
    """A function reading the device's attributes, each at most once."""
    cache = {}

    def read(name):
        if name not in cache:
            cache[name] = dev.attr(name)
        return cache[name]
    return read


def devices_by_ids(host, ids, field='ids'):
    """The names of every PCI device that one of ``ids`` matches, sorted; NotFound for an id that matches none."""
    wanted = [PciId(text, field) for text in ids]  # every id checked before anything is read
    if not wanted:
        raise InvalidArgument('%s is empty: give at least one PCI id (%s)' % (field, _names.PCI_ID_FORM), value='[]', field=field)
    bus = Bus(host, 'pci').require()
    found = dict((i.text, []) for i in wanted)
    with ReadPass() as dirs:
        for name in bus.device_names():
            read = _attribute_reader(bus.device(name, dirs))
            for pci_id in wanted:
                if pci_id.matches(read):
                    found[pci_id.text].append(name)
    missing = [i.text for i in wanted if not found[i.text]]
    if missing:
        raise NotFound('no PCI device matches %s %s; nothing was changed' % (
            'id' if len(missing) == 1 else 'ids', ', '.join(missing)), value=', '.join(missing), field=field,
            path=host.display(bus.path('devices')))
    return sorted(set(name for names in found.values() for name in names))
