# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carrying out one device's override: unbind, write ``driver_override``, probe, verify, restore."""

import errno as E

from .._core.errors import BindError, InUseError, SysfsError, VfioError
from .._sysfs import attr as _attr
from .._sysfs.kmod import load_driver
from .._sysfs.uevent import UeventWatch

NONE = 'none'  # an override that matches no driver: the device stays unbound
DEFAULT_DRIVER = '(the default driver)'  # what check mode predicts where the kernel picks the driver


# Buses whose drivers_probe returns only once the probe is over (the s390x lab measured css): a device
# still unbound then was refused, and waiting the full timeout for a bind that cannot come helps nobody.
SYNC_PROBE = ('css',)


class DeviceBinder(object):
    """Carries out one device's override change and can put the device back."""

    def __init__(self, host, device, request, before, offline=()):
        self.host = host
        self.device = device
        self.bus = device.bus
        self.request = request
        self.before = before
        self.offline = list(offline)  # online ccw devices to set offline before the unbind
        self.was_online = []

    def _set_offline(self):
        """Set the ccw devices offline first: the kernel refuses (EBUSY) while the host uses one."""
        for ccw in self.offline:
            try:
                ccw.write('online', '0')
            except SysfsError as exc:
                if exc.errno != E.EBUSY:
                    raise
                raise InUseError('%s is in use by the host: the kernel refuses to set it offline (EBUSY), so %s '
                                 'was not unbound; stop what uses it (unmount it, take its interface down), or set '
                                 'force: true' % (ccw, self.device), path=ccw.display('online'), value='0',
                                 errno=E.EBUSY, device=self.device.name)
            self.was_online.append(ccw)

    def _set_online(self):
        """Bring back online what _set_offline took (the ccw device appears again once io_subchannel binds)."""
        for ccw in self.was_online:
            with UeventWatch(self.host, 'ccw') as watch:
                watch.wait(lambda: ccw.exists, self.request.timeout)
            if ccw.attr('online') != '1':
                ccw.write('online', '1')
        self.was_online = []

    def _unbind(self, release=False):
        current = self.device.driver
        if current is not None:
            if release:
                self._set_offline()
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
            if dev.driver not in (None, want):  # driverctl --noprobe unbinds too
                self._unbind(release=True)
            if dev.override != req.driver:
                self._set_override(req.driver)
            if req.probe and want is not None and dev.driver is None:
                with UeventWatch(self.host, self.bus.name) as watch:
                    self._probe()
                    watch.wait(lambda: dev.driver is not None, 0 if self.bus.name in SYNC_PROBE else req.timeout)
            if req.probe and dev.driver != want:
                raise BindError('%s did not bind to %s: after drivers_probe it is %s (see the kernel log)' % (
                    dev, req.driver, 'bound to %s' % dev.driver if dev.driver else 'unbound'),
                    path=dev.display('driver'), value=req.driver, device=dev.name)
        except VfioError as exc:
            self.restore(exc)
            raise

    def unset(self):
        """Clear the override and let the default driver bind (``driverctl unset-override``)."""
        req, dev = self.request, self.device
        old = dev.override
        try:
            if old is not None and dev.driver == old:  # driverctl --noprobe unbinds too
                self._unbind(release=True)
            if old is not None:
                self._set_override(None)
            if req.probe and dev.driver is None:
                with UeventWatch(self.host, self.bus.name) as watch:
                    self._probe()
                    watch.wait(lambda: dev.driver is not None, 1)
        except VfioError as exc:
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
                        _attr.write(self.bus.driver_path(before['driver'], 'bind'), dev.name, device=str(dev),
                                    display=self.host.display(self.bus.driver_path(before['driver'], 'bind')))
                    else:
                        self._probe()
            self._set_online()
        except VfioError as again:  # report both: the first failure and why restoring failed
            if exc is None:
                raise
            exc.add_note('restoring the previous state failed too: %s' % again.msg)
            return
        if exc is not None:
            exc.add_note('the previous state was restored (driver %s, override %s)' % (
                before['driver'] or '(none)', before['override'] or '(none)'))
