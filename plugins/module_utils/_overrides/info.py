# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``driverctl list-devices``, ``list-overrides`` and ``list-persisted`` show: the read side.

Kept apart from the write path so that driver_override_info loads only what it reads with.
"""

from collections import OrderedDict

from .._core import names as _names
from .._core.errors import InvalidArgument
from .._sysfs.device import Bus
from .._sysfs.readpass import ReadPass
from .groups import Groups
from .store import OverrideStore

DEFAULT_BUSES = ('pci', 'css', 'ap')
# driverctl's device classes (list-devices <class>): the PCI base class, the second byte of ``class``
CLASSES = OrderedDict([('storage', '01'), ('network', '02'), ('display', '03'), ('multimedia', '04'),
                       ('memory', '05'), ('bridge', '06'), ('communication', '07'), ('system', '08'),
                       ('input', '09'), ('docking', '0a'), ('processor', '0b'), ('serial', '0c')])
# where distributions keep the PCI ID database (pciutils, hwdata), below the host's root
PCI_IDS = (('usr', 'share', 'misc', 'pci.ids'), ('usr', 'share', 'hwdata', 'pci.ids'), ('usr', 'share', 'pci.ids'))


def list_overrides(host, buses=None, names=None):
    """``(devices, persisted)`` of ``read_overrides``, for callers that need not hear of unreadable files."""
    devices, persisted, _problems = read_overrides(host, buses, names)
    return devices, persisted


def read_overrides(host, buses=None, names=None, device_class=None, with_names=False):
    """Devices with a driver_override: driver, override and persisted override of each.

    ``buses`` defaults to those of pci, css and ap that exist; ``names`` limits the devices
    (canonical names, any bus). Returns ``(devices, persisted, problems)``: the device entries,
    every persisted override, including those of devices that are not present, and the files of
    /etc/driverctl.d that cannot be read (each with its printable ``path`` and ``msg``); one such
    file never keeps the others from being listed.

    ``device_class`` (one of driverctl's classes, such as ``network``; ``all`` is no filter) keeps
    only devices whose ``class`` attribute has that PCI base class, as ``driverctl list-devices
    <class>`` (devices without a class, such as css subchannels, are then left out). With
    ``with_names``, PCI devices get ``vendor_name`` and ``device_name`` from the host's pci.ids
    (null where it has no entry or there is no pci.ids), as ``driverctl -v`` shows the model.

    PCI devices in an IOMMU group also get ``iommu_group_peers`` (the other devices of the group)
    and ``iommu_group_viable`` (whether VFIO can use the group, ``groups.Groups.viable``); an
    SR-IOV virtual function gets ``physfn``, a physical function with VFs enabled ``virtfns``.
    """
    if device_class is not None and device_class != 'all' and device_class not in CLASSES:
        raise InvalidArgument('class must be one of all, %s, not %r' % (', '.join(CLASSES), device_class),
                              value=str(device_class), field='class')
    code = CLASSES.get(device_class)
    store = OverrideStore(host)
    persisted = store.all()
    explicit = buses is not None
    buses = [_names.bus_name(b, field='bus') for b in buses] if explicit else list(DEFAULT_BUSES)
    wanted = None
    if names is not None:
        wanted = set()
        for bus in buses:
            for name in names:
                try:
                    wanted.add(_names.bus_device(bus, name, field='devices'))
                except InvalidArgument:
                    continue
        elsewhere = sorted(set('%s/%s' % w for w in wanted if w[0] not in buses))
        if elsewhere:  # a name that carries its bus (pci/0000:01:00.0) on a bus not listed would match nothing
            raise InvalidArgument('device %s is on a bus that is not listed (%s); add its bus to buses'
                                  % (', '.join(elsewhere), ', '.join(buses)), value=', '.join(elsewhere),
                                  field='devices')
        if not wanted:
            raise InvalidArgument('none of %s is a device name of bus %s' % (', '.join(names), ', '.join(buses)),
                                  value=', '.join(names), field='devices')
    # Unfiltered, the listing holds every PCI device (each has driver_override since Linux 3.16), and a
    # group that has a PCI device has only PCI devices (pci_device_group()): the groups' members and the
    # PFs' VFs are then found in the listing itself, not read once more for each device.
    complete = wanted is None and code is None
    with ReadPass() as dirs:
        devices = _listing(host, buses, explicit, wanted, persisted, dirs, code, complete)
        _add_groups(host, devices, dirs, complete)
    if with_names:
        ids = PciIds(host)
        for entry in devices:
            if entry['bus'] == 'pci':
                entry['vendor_name'], entry['device_name'] = ids.names(entry.pop('_vendor'), entry.pop('_device'))
    for entry in devices:
        entry.pop('_vendor', None)
        entry.pop('_device', None)
    out = [OrderedDict([('bus', b), ('device', d), ('driver', drv)]) for (b, d), drv in sorted(persisted.items())]
    return devices, out, store.problems


def _listing(host, buses, explicit, wanted, persisted, dirs, code=None, complete=False):
    devices = []
    for bus_name in buses:
        bus = Bus(host, bus_name)
        if not bus.exists:
            if explicit:
                bus.require()
            continue
        for name in bus.device_names():
            if wanted is not None and (bus_name, name) not in wanted:
                continue
            dev = bus.device(name, dirs)
            supported, override = dev.read_override()
            if not supported:
                continue
            if code is not None and (dev.attr('class') or '')[2:4].lower() != code:
                continue
            entry = OrderedDict([('bus', bus_name), ('device', name), ('driver', dev.driver),
                                 ('override', override), ('persisted', persisted.get((bus_name, name)))])
            group = dev.iommu_group
            if group is not None:
                entry['iommu_group'] = group
            busid = dev.attr('dev_busid') if bus_name == 'css' else None
            if busid is not None:
                entry['dev_busid'] = busid
            if bus_name == 'pci':
                entry['_vendor'], entry['_device'] = dev.attr('vendor'), dev.attr('device')
                entry.update(sriov_links(dev, vfs_listed=complete))
            devices.append(entry)
    if complete:
        _add_virtfns([e for e in devices if e['bus'] == 'pci'])
    return devices


def sriov_links(dev, vfs_listed=False):
    """``physfn`` of an SR-IOV virtual function, ``virtfns`` of a physical function with VFs enabled, else nothing.

    The kernel links a PF's VFs as ``virtfn0`` up to ``virtfn<numvfs - 1>``, without gaps, so they
    are read in order until one is missing; a VF has no ``virtfn`` links of its own. With
    ``vfs_listed`` the caller finds a PF's VFs from their ``physfn`` (``_add_virtfns``) instead.
    """
    pf = dev.link_name('physfn')
    if pf is not None:
        return {'physfn': pf}
    if vfs_listed:
        return {}
    vfs = []
    vf = dev.link_name('virtfn0')
    while vf is not None:
        vfs.append(vf)
        vf = dev.link_name('virtfn%d' % len(vfs))
    return {'virtfns': vfs} if vfs else {}


def _add_virtfns(pci):
    """Give each PF of a complete PCI listing its VFs, those whose ``physfn`` names it.

    A VF's routing id is the PF's plus offset plus index times stride, so the VFs' address order
    (the listing's) is their ``virtfn<N>`` order.
    """
    vfs = {}
    for entry in pci:
        if 'physfn' in entry:
            vfs.setdefault(entry['physfn'], []).append(entry['device'])
    for entry in pci:
        if entry['device'] in vfs:
            entry['virtfns'] = vfs[entry['device']]


def _add_groups(host, devices, dirs, complete=False):
    """Give each listed PCI device the other devices of its IOMMU group and whether VFIO can use the group.

    ``complete``: the listing holds every PCI device, so it gives each group's members.
    """
    pci = [e for e in devices if e['bus'] == 'pci' and 'iommu_group' in e]
    if not pci:
        return
    members = {}
    if complete:
        for entry in pci:
            members.setdefault(entry['iommu_group'], []).append(entry['device'])
    # the drivers of the listed devices are known: only the group's other devices are read
    groups = Groups(host, dirs, dict((e['device'], e['driver']) for e in devices if e['bus'] == 'pci'), members)
    for entry in pci:
        group = entry['iommu_group']
        entry['iommu_group_peers'] = [name for name in groups.members(group) if name != entry['device']]
        entry['iommu_group_viable'] = groups.viable(group)


class PciIds(object):
    """Vendor and device names from the host's pci.ids (the first of ``PCI_IDS`` that exists), read once."""

    def __init__(self, host):
        self.host = host
        self._vendors = None

    def _load(self):
        vendors = {}
        for parts in PCI_IDS:
            try:
                with open(self.host.path(*parts), encoding='utf-8', errors='replace') as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            vendor = None
            for line in lines:
                if not line or line.startswith('#'):
                    continue
                if line.startswith('C '):
                    break  # the device classes follow the vendors
                if not line.startswith('\t'):
                    code, _sep, name = line.partition('  ')
                    vendor = vendors.setdefault(code.strip().lower(), [name.strip(), {}])
                elif vendor is not None and not line.startswith('\t\t'):
                    code, _sep, name = line[1:].partition('  ')
                    vendor[1][code.strip().lower()] = name.strip()
            break
        return vendors

    def names(self, vendor, device):
        """``(vendor name, device name)`` of ``0x10de``/``0x1b80`` style ids, each None when unknown."""
        if self._vendors is None:
            self._vendors = self._load()
        v = (vendor or '').lower().replace('0x', '', 1)
        d = (device or '').lower().replace('0x', '', 1)
        known = self._vendors.get(v)
        if not known:
            return None, None
        return known[0], known[1].get(d)
