# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Driver overrides: what ``driverctl set-override`` / ``unset-override`` do, planned first.

Setting an override unbinds the device from its current driver, writes ``driver_override``,
asks the bus to probe and checks what bound. If the device does not end up bound as asked,
the previous override and driver are put back and the error says so.
"""

import os
import shutil
import subprocess
from collections import OrderedDict

from . import _attr, _driverctl, _names
from ._ap import MASK_BITS, APBus
from ._device import Bus
from ._errors import BindError, InvalidArgument, NotFound
from ._plan import Change, Plan
from ._udev import UeventWatch

NONE = 'none'
DEFAULT_TIMEOUT = 10


class OverrideRequest(object):
    """One device's desired override, validated."""

    def __init__(self, bus, device, driver=None, state='present', persistent=True, probe=True,
                 timeout=DEFAULT_TIMEOUT):
        self.bus = _names.bus_name(bus)
        self.device = _names.device_name(self.bus, device)
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


def device_state(device, store):
    """What sysfs and /etc/driverctl.d say of a device now."""
    return OrderedDict([('driver', device.driver), ('override', device.override),
                        ('persisted', store.get(device.bus.name, device.name))])


def load_driver(host, bus, driver):
    """Make sure ``driver`` is registered on ``bus``, loading its kernel module on a real host."""
    if bus.has_driver(driver):
        return
    path = host.display(bus.driver_path(driver))
    if not host.is_real:
        raise NotFound('driver %s is not registered on bus %s (%s is missing); kernel modules are only loaded '
                       'when VFIO_PASSTHROUGH_ROOT is /' % (driver, bus.name, path), path=path, value=driver)
    modprobe = shutil.which('modprobe') or '/sbin/modprobe'
    if not os.path.exists(modprobe):
        raise NotFound('driver %s is not registered on bus %s (%s is missing) and there is no modprobe to load it'
                       % (driver, bus.name, path), path=path, value=driver)
    proc = subprocess.run([modprobe, '-q', '--', driver], check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    if proc.returncode != 0 or not bus.has_driver(driver):
        raise NotFound('driver %s is not registered on bus %s (%s is missing) and "modprobe %s" did not load it: %s'
                       % (driver, bus.name, path, driver, proc.stdout.strip() or 'exit %d' % proc.returncode),
                       path=path, value=driver)


class DeviceBinder(object):
    """Carries out one device's override change and can put the device back."""

    def __init__(self, host, device, request, before):
        self.host = host
        self.device = device
        self.bus = device.bus
        self.request = request
        self.before = before

    def _unbind(self):
        current = self.device.driver
        if current is not None:
            _attr.write(self.bus.driver_path(current, 'unbind'), self.device.name, device=str(self.device),
                        display=self.host.display(self.bus.driver_path(current, 'unbind')))

    def _set_override(self, value):
        self.device.write('driver_override', value or '')

    def _probe(self):
        _attr.write(self.bus.path('drivers_probe'), self.device.name, device=str(self.device),
                    display=self.host.display(self.bus.path('drivers_probe')))

    def set(self):
        """Unbind, write the override, probe and verify (``driverctl set-override``)."""
        req, dev = self.request, self.device
        want = None if req.driver == NONE else req.driver
        if want is not None and req.probe:
            load_driver(self.host, self.bus, want)
        try:
            if req.probe and dev.driver not in (None, want):
                self._unbind()
            if dev.override != req.driver:
                self._set_override(req.driver)
            if req.probe and want is not None and dev.driver is None:
                with UeventWatch(self.host, self.bus.name) as watch:
                    self._probe()
                    watch.wait(lambda: dev.driver is not None, req.timeout)
            if req.probe and dev.driver != want:
                raise BindError('%s did not bind to %s: after drivers_probe it is %s (see the kernel log)' % (
                    dev, req.driver, 'bound to %s' % dev.driver if dev.driver else 'unbound'),
                    path=dev.display('driver'), value=req.driver, device=dev.name)
        except Exception as exc:
            self.restore(exc)
            raise

    def unset(self):
        """Clear the override and let the default driver bind (``driverctl unset-override``)."""
        req, dev = self.request, self.device
        old = dev.override
        try:
            if req.probe and old is not None and dev.driver == old:
                self._unbind()
            if old is not None:
                self._set_override(None)
            if req.probe and dev.driver is None:
                with UeventWatch(self.host, self.bus.name) as watch:
                    self._probe()
                    watch.wait(lambda: dev.driver is not None, 1)
        except Exception as exc:
            self.restore(exc)
            raise

    def restore(self, exc=None):
        """Put back the override and driver the device had before; note it in ``exc``'s message."""
        dev, before = self.device, self.before
        try:
            if dev.override != before['override']:
                self._set_override(before['override'])
            if dev.driver != before['driver']:
                self._unbind()
                if before['driver'] is not None:
                    if self.bus.has_driver(before['driver']):
                        _attr.write(self.bus.driver_path(before['driver'], 'bind'), dev.name, device=str(dev))
                    else:
                        self._probe()
        except Exception as again:  # report both: the first failure and why restoring failed
            if exc is not None and hasattr(exc, 'msg'):
                exc.msg += '; restoring the previous state failed too: %s' % getattr(again, 'msg', again)
                exc.args = (exc.msg,)
            return
        if exc is not None and hasattr(exc, 'msg'):
            exc.msg += '; the previous state was restored (driver %s, override %s)' % (
                before['driver'] or '(none)', before['override'] or '(none)')
            exc.args = (exc.msg,)


def plan_device(host, store, req):
    """The change one request needs, or a change without actions when none is needed."""
    bus = Bus(host, req.bus).require()
    dev = bus.device(req.device).require()
    if not dev.supports_override:
        raise NotFound('%s has no driver_override attribute (%s); this bus or kernel does not support driver '
                       'overrides%s' % (dev, dev.display('driver_override'),
                                        '; AP queues go to vfio_ap through /sys/bus/ap/apmask and aqmask on this kernel' if req.bus == 'ap'
                                        else ''),
                       path=dev.display('driver_override'), device=dev.name)
    if req.bus == 'ap' and req.state == 'present':
        adapters, domains = APBus(host).masks()
        if len(adapters) < MASK_BITS or len(domains) < MASK_BITS:
            raise InvalidArgument('%s: the kernel accepts a driver_override on AP queues only while /sys/bus/ap/apmask '
                                  'and aqmask are at their default (all ones); hand queues to vfio_ap with '
                                  'vfio.passthrough.ap_masks instead, or restore the masks first' % dev,
                                  path=host.display(APBus(host).path('apmask')), device=dev.name)
    before = device_state(dev, store)
    after = OrderedDict(before)
    actions = []
    binder = DeviceBinder(host, dev, req, before)
    if req.state == 'present':
        want = None if req.driver == NONE else req.driver
        if req.probe and before['driver'] not in (None, want):
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
        work = binder.set
    else:
        if before['override'] is not None:
            if req.probe and before['driver'] == before['override']:
                actions.append('unbind from %s' % before['driver'])
                after['driver'] = None
            actions.append('clear driver_override')
            if req.probe and after['driver'] is None:
                actions.append('probe (default driver)')
        after['override'] = None
        work = binder.unset
    target = req.driver if req.state == 'present' else None
    if req.persistent:
        if before['persisted'] != target:
            actions.append('persist %s in %s' % (target, host.display(store.path(req.bus, req.device)))
                           if target else 'remove %s' % host.display(store.path(req.bus, req.device)))
        after['persisted'] = target

    def apply():
        work()
        if req.persistent and before['persisted'] != target:
            store.put(req.bus, req.device, target)
        after.update(device_state(dev, store))

    def undo():
        binder.restore()
        if req.persistent and before['persisted'] != target:
            store.put(req.bus, req.device, before['persisted'])

    change = Change('%s/%s' % (req.bus, req.device), before, after, actions, apply, undo)
    change.request = req
    return change


def plan_overrides(host, requests):
    """A plan for many devices; a device named twice is refused."""
    store = _driverctl.OverrideStore(host)
    plan = Plan()
    seen = set()
    for req in requests:
        key = (req.bus, req.device)
        if key in seen:
            raise InvalidArgument('%s device %s is listed twice' % key, device=req.device)
        seen.add(key)
        plan.add(plan_device(host, store, req))
    if any(r.persistent and r.state == 'present' for r in requests) and not _driverctl.driverctl_installed(host):
        missing = _driverctl.boot_files_missing(host)
        if missing:
            plan.add(Change('boot-time apply', OrderedDict([('missing', ', '.join(missing))]),
                            OrderedDict([('missing', None)]),
                            ['install %s' % p for p in missing], lambda: _driverctl.install_boot_files(host)))
    return plan


def describe(change):
    """The per-device result a module returns."""
    req = change.request
    out = OrderedDict([('bus', req.bus), ('device', req.device)])
    out.update(change.after)
    out['changed'] = bool(change.actions)
    out['actions'] = change.actions
    return out


DEFAULT_BUSES = ('pci', 'css', 'ap')


def inventory(host, buses=None, names=None):
    """Devices with a driver_override: driver, override and persisted override of each.

    ``buses`` defaults to those of pci, css and ap that exist; ``names`` limits the devices
    (canonical names, any bus). Returns ``(devices, persisted)``: the device entries and
    every persisted override, including those of devices that are not present.
    """
    store = _driverctl.OverrideStore(host)
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
    with _attr.Dirs() as dirs:
        devices = _listing(host, buses, explicit, wanted, persisted, dirs)
    out = [OrderedDict([('bus', b), ('device', d), ('driver', drv)]) for (b, d), drv in sorted(persisted.items())]
    return devices, out


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
