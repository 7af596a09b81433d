# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IOMMU groups of PCI devices: who shares a group, which members are endpoints, which drivers VFIO accepts.

VFIO hands a group to a guest only when it is viable: every endpoint in it is bound to a vfio
driver, to pci-stub or to no driver at all. Bridges do not count, whatever binds them: the
kernel leaves devices without a normal header out (vfio_dev_driver_allowed()). Read by
driver_override_info and by the planner alike, so nothing here writes or loads the write path.
"""

import os

from .._sysfs.device import Bus

# PCI class 06 subclasses whose header is not a normal one: PCI-to-PCI bridges (root and switch
# ports too), CardBus bridges and semi-transparent PCI-to-PCI bridges.
BRIDGE_CLASSES = ('0604', '0607', '0609')
# vfio's allow list: a driver that binds a device without letting the host use it
NEUTRAL_DRIVERS = ('pci-stub',)


def is_vfio_driver(driver):
    """True for vfio-pci and its variant drivers (``mlx5_vfio_pci``, ``nvgrace_gpu_vfio_pci``, ...)."""
    return driver is not None and (driver == 'vfio-pci' or driver.endswith('_vfio_pci'))


def is_host_driver(driver):
    """True for a driver through which the host uses the device: any but a vfio driver, pci-stub or none."""
    return driver is not None and driver not in NEUTRAL_DRIVERS and not is_vfio_driver(driver)


def any_driver(driver):
    """True for every driver, and for no driver: all endpoints."""
    return True


def is_bridge(pci_class):
    """True for the ``class`` attribute (``0x060400``) of a bridge, which a group's viability leaves out."""
    return (pci_class or '')[2:6].lower() in BRIDGE_CLASSES


class Groups(object):
    """The IOMMU groups of PCI devices, each listed once; what the caller knows already is not read again.

    ``drivers`` maps device names to their driver where the caller knows it (the listing it read,
    or the driver a plan predicts), ``members`` groups to their devices (sorted); ``dirs`` is the
    ReadPass of a reading pass, if any.
    """

    def __init__(self, host, dirs=None, drivers=None, members=None):
        self.host = host
        self.bus = Bus(host, 'pci')
        self.dirs = dirs
        self.drivers = dict(drivers or {})
        self._members = dict(members or {})
        self._viable = {}
        self._devices = {}

    def device(self, name):
        """The PCI device ``name``, looked up once."""
        if name not in self._devices:
            self._devices[name] = self.bus.device(name, self.dirs)
        return self._devices[name]

    def path(self, group):
        """The directory that lists the group's devices, as on the host (for messages)."""
        return self.host.display(self.host.sys('kernel', 'iommu_groups', group, 'devices'))

    def group_of(self, name):
        """The IOMMU group of device ``name``, or None when it has none (no IOMMU)."""
        return self.device(name).iommu_group

    def members(self, group):
        """The names of every device in ``group``, bridges included, sorted."""
        if group not in self._members:
            try:
                names = os.listdir(self.host.sys('kernel', 'iommu_groups', group, 'devices'))
            except OSError:
                names = []
            self._members[group] = sorted(names)
        return self._members[group]

    def driver(self, name):
        """The driver of ``name``: the one given for it, else the one bound now."""
        if name not in self.drivers:
            self.drivers[name] = self.device(name).driver
        return self.drivers[name]

    def endpoints(self, group, kind=any_driver):
        """``[(name, driver)]`` of the group's endpoints whose driver passes ``kind``, bridges left out.

        The class is read only of the devices ``kind`` keeps, so that counting host drivers costs
        nothing in a group whose devices are all on vfio-pci.
        """
        return list(self._endpoints(group, kind))

    def _endpoints(self, group, kind):
        """``endpoints``, one at a time (a caller that needs only the first reads no further)."""
        for name in self.members(group):
            driver = self.driver(name)
            if kind(driver) and not is_bridge(self.device(name).attr('class')):
                yield name, driver

    def viable(self, group):
        """True if VFIO can use the group: no endpoint in it is bound to a host driver."""
        if group not in self._viable:
            self._viable[group] = next(self._endpoints(group, is_host_driver), None) is None
        return self._viable[group]
