# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Driver overrides: what ``driverctl set-override`` / ``unset-override`` do, planned first.

Setting an override unbinds the device from its current driver, writes ``driver_override``,
asks the bus to probe and checks what bound. If the device does not end up bound as asked,
the previous override and driver are put back and the error says so.
"""

import copy
from collections import OrderedDict

from .._ap.masks import APBus
from .._core import names as _names
from .._core.errors import ConfigError, InUseError, InvalidArgument, NotFound
from .._core.host import AP_LOCK
from .._ccw.devno import DevnoRecords, device_number
from .._ccw.devno import boot_files as devno_boot_files
from .._core.plan import Change, Plan
from .._sysfs.device import Bus
from .._mdev import sysfs as _mdev
from .._sysfs.kmod import load_driver
from . import boot as _boot
from . import grouping, inuse
from .ids import devices_by_ids
from .binder import DEFAULT_DRIVER, NONE, DeviceBinder
from .store import OverrideStore, driverctl_installed

DEFAULT_TIMEOUT = 10


class OverrideRequest(object):
    """One device's desired override, validated."""

    def __init__(self, bus, device, driver=None, state='present', persistent=True, probe=True,
                 timeout=DEFAULT_TIMEOUT, force=False, iommu_group=False):
        self.bus, self.device = _names.bus_device(_names.bus_name(bus), device)
        self.given = device  # as the task gave it (driverctl's pci/0000:01:00.0 names its bus)
        if iommu_group and self.bus != 'pci':
            raise InvalidArgument('%s device %s: iommu_group applies to PCI devices only' % (self.bus, self.device),
                                  value=self.device, field='iommu_group', device=self.device)
        self.iommu_group = bool(iommu_group)
        self.via = None  # for a device its group brought in: the device asked for
        if state not in ('present', 'absent'):
            raise InvalidArgument('state must be present or absent, not %r' % (state,), value=state, field='state')
        self.state = state
        if state == 'present':
            if driver is None:
                raise InvalidArgument('%s device %s: driver is required with state=present' % (self.bus, self.device),
                                      field='driver', device=self.device)
            driver = _names.driver_name(driver)
        elif driver is not None:
            driver = _names.driver_name(driver)
        self.driver = driver
        self.persistent = bool(persistent)
        self.probe = bool(probe)
        self.timeout = timeout
        self.force = bool(force)

    @property
    def options(self):
        """What is asked of the device, whichever device it is: two requests of one device must agree on it."""
        return (self.driver, self.state, self.persistent, self.probe, self.force)

    def for_member(self, name):
        """The same request for ``name``, another endpoint of this device's IOMMU group."""
        member = copy.copy(self)
        member.device = member.given = name
        member.iommu_group = False
        member.via = self.device
        return member


def device_state(device, store):
    """What sysfs and /etc/driverctl.d say of a device now."""
    return OrderedDict([('driver', device.driver), ('override', device.override),
                        ('persisted', store.get(device.bus.name, device.name))])


def check_unbind(dev, req, children, warnings):
    """Refuse (or, with ``force``, warn about) an unbind that takes the device from a guest or the host.

    Returns what the unbind takes, for the report.
    """
    taken = inuse.users(dev.host, dev, children)
    if not taken:
        return []
    what = '; '.join(taken)
    if not req.force:
        raise InUseError('%s: unbinding %s would take it from its users: %s; stop them first, or set force: true '
                         'to take it knowingly' % (dev, dev.driver, what), device=dev.name, path=dev.display('driver'),
                         value=req.driver, users=taken)
    warnings.append('forced: unbinding %s from %s took %s' % (dev, dev.driver, what))
    return taken


def release_ccw(dev, req, taken, warnings, actions):
    """Plan to set a subchannel's online ccw device offline before the unbind; returns the devices.

    Unbinding io_subchannel deletes the ccw device under the host's feet (a DASD it reads, the
    network device it talks through). Setting it offline first asks the driver, which refuses
    (EBUSY) while the host uses it; with ``force`` the unbind goes ahead and says what it took.
    """
    ccw = inuse.online_ccw(dev)
    if ccw is None:
        return []
    if req.force:
        taken.append('%s (online)' % ccw)
        warnings.append('forced: unbinding %s took %s, which was online, from the host' % (dev, ccw))
        return []
    actions.append('set %s offline' % ccw)
    return [ccw]


def plan_device(host, store, req, children=None, warnings=None):
    """The change one request needs, or a change without actions when none is needed.

    ``children`` maps parent names to their running mdevs; ``warnings`` collects what ``force`` took.
    """
    children = {} if children is None else children
    warnings = [] if warnings is None else warnings
    try:
        bus = Bus(host, req.bus).require()
    except NotFound as exc:
        if req.given != req.device:
            exc.add_note('device %r names bus %s' % (req.given, req.bus))
            exc.extra['field'] = 'device'
        raise
    dev = bus.device(req.device).require()
    if not dev.supports_override:
        raise NotFound('%s has no driver_override attribute (%s); this bus or kernel does not support driver '
                       'overrides%s' % (dev, dev.display('driver_override'),
                                        '; AP queues go to vfio_ap through /sys/bus/ap/apmask and aqmask on this kernel' if req.bus == 'ap'
                                        else ''),
                       path=dev.display('driver_override'), device=dev.name)
    if req.bus == 'ap' and req.state == 'present':
        if not APBus(host).masks_at_default():
            raise InvalidArgument('%s: the kernel accepts a driver_override on AP queues only while /sys/bus/ap/apmask '
                                  'and aqmask are at their default (all ones); hand queues to vfio_ap with '
                                  'vfio.passthrough.ap_masks instead, or restore the masks first' % dev,
                                  path=host.display(APBus(host).path('apmask')), device=dev.name)
    before = device_state(dev, store)
    after = OrderedDict(before)
    actions = []
    taken = []
    offline = []
    if req.state == 'present':
        want = None if req.driver == NONE else req.driver
        refusal = inuse.qdio(dev) if want == 'vfio_ccw' and before['driver'] != want else None
        if refusal and not req.force:
            raise InUseError('%s; nothing was unbound' % refusal, device=dev.name, value=req.driver)
        if before['driver'] not in (None, want):  # driverctl --noprobe unbinds too, then leaves it unbound
            taken = check_unbind(dev, req, children, warnings)
            offline = release_ccw(dev, req, taken, warnings, actions)
            actions.append('unbind from %s' % before['driver'])
        if before['override'] != req.driver:
            actions.append('set driver_override to %s' % req.driver)
        if req.probe and want is not None and before['driver'] != want:
            if not bus.has_driver(want):
                if not host.is_real:
                    load_driver(host, bus, want)  # raises: a simulated root cannot load modules
                actions.append('load module %s' % want)
            actions.append('probe (bind %s)' % want)
        after['override'] = req.driver
        if req.probe:
            after['driver'] = want
        elif before['driver'] not in (None, want):
            after['driver'] = None
        binder = DeviceBinder(host, dev, req, before, offline)
        work = binder.set
    else:
        if before['override'] is not None:
            if before['driver'] == before['override']:  # with probe false too, as driverctl --noprobe
                taken = check_unbind(dev, req, children, warnings)
                offline = release_ccw(dev, req, taken, warnings, actions)
                actions.append('unbind from %s' % before['driver'])
                after['driver'] = None
            actions.append('clear driver_override')
            if req.probe and after['driver'] is None:
                actions.append('probe (default driver)')
                after['driver'] = DEFAULT_DRIVER  # which one binds is the kernel's choice
        after['override'] = None
        binder = DeviceBinder(host, dev, req, before, offline)
        work = binder.unset
    target = req.driver if req.state == 'present' else None
    files = []  # (write, put back) of each persisted file, in order
    if req.persistent:
        if before['persisted'] != target:
            actions.append('persist %s in %s' % (target, host.display(store.path(req.bus, req.device)))
                           if target else 'remove %s' % host.display(store.path(req.bus, req.device)))
            files.append((lambda: store.put(req.bus, req.device, target),
                          lambda: store.put(req.bus, req.device, before['persisted'])))
        after['persisted'] = target
        if req.bus == 'css':
            files.extend(record_device_number(host, dev, req.device if target else None, actions))

    def apply():
        work()  # restores the device itself when it fails
        done = []
        try:
            for write, put_back in files:
                write()
                done.append(put_back)
        except ConfigError as exc:
            for put_back in reversed(done):
                try:
                    put_back()
                except ConfigError as again:
                    exc.add_note('putting a file back failed too: %s' % again.msg)
            binder.restore(exc)
            raise

    def undo():
        binder.restore()
        for _write, put_back in reversed(files):
            put_back()

    def describe(applied):
        # after applying, the device as it is now; the diff keeps showing the prediction, as in check mode
        state = device_state(dev, store) if applied else after
        out = OrderedDict([('bus', req.bus), ('device', req.device)] + list(state.items()))
        if taken:
            out['taken'] = taken
        return out

    return Change('%s/%s' % (req.bus, req.device), before, after, actions, apply, undo, describe)


def record_device_number(host, subchannel, target, actions):
    """The (write, put back) that records (or forgets) which subchannel carries the device's files.

    The subchannel of a device number may change at the next IPL; the record lets the boot-time
    rule move driverctl's and mdevctl's files with the device (``_ccw/devno.py``).
    """
    devno = device_number(subchannel)
    if devno is None:
        return []
    records = DevnoRecords(host)
    before = records.get(devno)
    if before == target:
        return []
    actions.append('record that the files of ccw device %s are kept for %s in %s' % (devno, target, records.display(devno))
                   if target else 'remove %s' % records.display(devno))
    return [(lambda: records.put(devno, target), lambda: records.put(devno, before))]


def requests_by_ids(host, ids, bus='pci', **options):
    """One OverrideRequest per PCI device that one of ``ids`` matches (as vfio-pci's ``ids=``), in address order.

    ``options`` are those of OverrideRequest; an id that matches no device is NotFound.
    """
    if bus != 'pci':
        raise InvalidArgument('ids select PCI devices; bus must be pci, not %r' % (bus,), value=bus, field='bus')
    return [OverrideRequest('pci', name, **options) for name in devices_by_ids(host, ids)]


class OverridePlan(Plan):
    """Driver overrides of many devices, and how persisted ones are applied at boot."""

    def __init__(self, host):
        super(OverridePlan, self).__init__()
        self.host = host

    def report(self, applied):
        """Each device, and ``boot_apply``: driverctl's units or the collection's own files."""
        result = super(OverridePlan, self).report(applied)
        result['boot_apply'] = 'driverctl' if driverctl_installed(self.host) else 'builtin'
        return result


def plan_overrides(host, requests, locks=None, allow_split_group=False):
    """A plan for many devices; a device named twice is refused, and so is a split IOMMU group.

    Requests in group mode (``iommu_group``) stand for every endpoint of their device's IOMMU
    group. A plan after which a PCI group would have endpoints on vfio and on host drivers is
    refused unless ``allow_split_group``, and then it warns. AP queues are s390-tools' to
    coordinate: a request on the ap bus takes its AP lock.
    """
    if locks is not None and any(r.bus == 'ap' for r in requests):
        locks.need(AP_LOCK)
    store = OverrideStore(host)
    plan = OverridePlan(host)
    children = inuse.running_children(_mdev.running(host)) if requests else {}
    seen = {}
    planned = []
    for req in grouping.expand_groups(host, requests):
        key = (req.bus, req.device)
        if key in seen:
            grouping.same_device_twice(seen[key], req)
            continue
        seen[key] = req
        planned.append((req, plan.add(plan_device(host, store, req, children, plan.warnings))))
    grouping.check_split(host, planned, allow_split_group, plan.warnings)
    if any(r.persistent and r.state == 'present' for r in requests) and not driverctl_installed(host):
        install = _boot.boot_files(host).change()
        if install:
            plan.add(install)
    if any(r.bus == 'css' and r.persistent and r.state == 'present' for r in requests):
        install = devno_boot_files(host).change()
        if install:
            plan.add(install)
    return plan
