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
from .store import OverrideStore

DEFAULT_BUSES = ('pci', 'css', 'ap')


def list_overrides(host, buses=None, names=None):
    """``(devices, persisted)`` of ``read_overrides``, for callers that need not hear of unreadable files."""
    devices, persisted, _problems = read_overrides(host, buses, names)
    return devices, persisted


def read_overrides(host, buses=None, names=None):
    """Devices with a driver_override: driver, override and persisted override of each.

    ``buses`` defaults to those of pci, css and ap that exist; ``names`` limits the devices
    (canonical names, any bus). Returns ``(devices, persisted, problems)``: the device entries,
    every persisted override, including those of devices that are not present, and the files of
    /etc/driverctl.d that cannot be read (each with its printable ``path`` and ``msg``); one such
    file never keeps the others from being listed.
    """
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
                    wanted.add((bus, _names.device_name(bus, name, field='devices')))
                except InvalidArgument:
                    continue
        if not wanted:
            raise InvalidArgument('none of %s is a device name of bus %s' % (', '.join(names), ', '.join(buses)),
                                  value=', '.join(names), field='devices')
    with ReadPass() as dirs:
        devices = _listing(host, buses, explicit, wanted, persisted, dirs)
    out = [OrderedDict([('bus', b), ('device', d), ('driver', drv)]) for (b, d), drv in sorted(persisted.items())]
    return devices, out, store.problems


def _listing(host, buses, explicit, wanted, persisted, dirs):
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
            entry = OrderedDict([('bus', bus_name), ('device', name), ('driver', dev.driver),
                                 ('override', override), ('persisted', persisted.get((bus_name, name)))])
            group = dev.iommu_group
            if group is not None:
                entry['iommu_group'] = group
            busid = dev.attr('dev_busid') if bus_name == 'css' else None
            if busid is not None:
                entry['dev_busid'] = busid
            devices.append(entry)
    return devices
