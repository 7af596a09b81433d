# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SR-IOV virtual functions: how many each physical function has, now and at boot, planned first.

The kernel takes a new count only from 0 (another nonzero count is EBUSY), so a change from N to
M writes 0 and then M: every VF is removed and M new ones are created. A VF a guest may hold
(bound to a vfio driver, the parent of a running mdev) or the host uses (an interface up, a disk
mounted) is therefore refused before anything is written, unless ``force``. A failure after the
0 puts the old count back.
"""

import errno as E
from collections import OrderedDict

from .._core import names as _names
from .._core.errors import ConfigError, InUseError, InvalidArgument, NotFound, SysfsError, VfioError
from .._core.plan import Change, Plan
from .._mdev import sysfs as _mdev
from .._overrides import inuse
from .._sysfs.device import Bus
from . import sysfs
from .rule import Entry, SriovRule

U16_MAX = 0xffff  # sriov_numvfs is a u16 to the kernel


class SriovRequest(object):
    """One physical function's desired number of VFs, validated."""

    def __init__(self, device, numvfs, persistent=True, force=False, drivers_autoprobe=None):
        self.device = _names.pci_address(device)
        if numvfs is None:
            raise InvalidArgument('%s: numvfs is required' % self.device, field='numvfs', device=self.device)
        if isinstance(numvfs, bool) or not isinstance(numvfs, int) or not 0 <= numvfs <= U16_MAX:
            raise InvalidArgument('%s: numvfs must be a number from 0 to %d, not %r' % (self.device, U16_MAX, numvfs),
                                  value=repr(numvfs), field='numvfs', device=self.device)
        self.numvfs = numvfs
        self.persistent = bool(persistent)
        self.force = bool(force)
        self.drivers_autoprobe = None if drivers_autoprobe is None else bool(drivers_autoprobe)


def pf_state(dev, rule):
    """What sysfs and the boot rule say of a PF now."""
    entry = rule.get(dev.name)
    return OrderedDict([('numvfs', sysfs.numvfs(dev)), ('vfs', sysfs.virtfns(dev)),
                        ('drivers_autoprobe', sysfs.drivers_autoprobe(dev)),
                        ('persisted', entry.numvfs if entry else None)])


def require_pf(bus, name):
    """The PF ``name``; NotFound when it is missing or is no SR-IOV physical function."""
    dev = bus.device(name).require()
    if not sysfs.is_pf(dev):
        parent = sysfs.physfn(dev)
        raise NotFound('%s is not an SR-IOV physical function (%s is missing)%s' % (
            dev, dev.display(sysfs.TOTALVFS), '; it is a virtual function of %s' % parent if parent else ''),
            path=dev.display(sysfs.TOTALVFS), device=dev.name)
    return dev


def check_count(dev, req, total):
    """Refuse a count above ``sriov_totalvfs`` before anything is written (the kernel answers ERANGE)."""
    if req.numvfs > total:
        raise InvalidArgument('%s: numvfs %d is above sriov_totalvfs %d (%s); the kernel refuses it (ERANGE)'
                              % (dev, req.numvfs, total, dev.display(sysfs.TOTALVFS)),
                              path=dev.display(sysfs.NUMVFS), value=str(req.numvfs), errno=E.ERANGE,
                              device=dev.name, field='numvfs')


def check_driver(dev, req):
    """Refuse a count change while no driver is bound: the kernel configures SR-IOV only through it (ENOENT)."""
    if dev.driver is None:
        raise NotFound('%s: no driver is bound, and the kernel changes the number of VFs only through the PF\'s '
                       'driver (writing %s would fail with ENOENT); bind its driver first' % (dev, dev.display(sysfs.NUMVFS)),
                       path=dev.display('driver'), value=str(req.numvfs), errno=E.ENOENT, device=dev.name)


def check_vfs(host, dev, vfs, req, children, warnings):
    """Refuse (or, with ``force``, warn about) removing VFs that are in use; return what is taken."""
    taken = ['%s: %s' % pair for pair in inuse.vfs_users(host, dev.bus, vfs, children)]
    if not taken:
        return []
    what = '; '.join(taken)
    if not req.force:
        raise InUseError('%s: changing the number of VFs from %d to %d removes every VF first, and these are in use: '
                         '%s; stop their users first, or set force: true to take them knowingly'
                         % (dev, len(vfs), req.numvfs, what),
                         path=dev.display(sysfs.NUMVFS), value=str(req.numvfs), device=dev.name, users=taken)
    warnings.append('forced: removing the VFs of %s took %s' % (dev, what))
    return taken


class Counter(object):
    """Carries out one PF's count change and can put the PF back as it was."""

    def __init__(self, dev, before, numvfs, autoprobe):
        self.dev = dev
        self.before = before
        self.numvfs = numvfs
        self.autoprobe = autoprobe

    def _write_count(self, count):
        self.dev.write(sysfs.NUMVFS, str(count))

    def _write_autoprobe(self, value):
        self.dev.write(sysfs.AUTOPROBE, '1' if value else '0')

    def run(self):
        """Set drivers_autoprobe, write 0 if VFs are enabled, write the new count and check it; restore on failure."""
        try:
            if sysfs.drivers_autoprobe(self.dev) != self.autoprobe:
                self._write_autoprobe(self.autoprobe)
            if sysfs.numvfs(self.dev) != self.numvfs:
                if sysfs.numvfs(self.dev):
                    self._write_count(0)  # the kernel takes a new count only from 0
                if self.numvfs:
                    self._write_count(self.numvfs)
            now = sysfs.numvfs(self.dev)
            if now != self.numvfs:
                raise SysfsError('%s: its driver enabled %d VFs where %d were asked (see the kernel log)'
                                 % (self.dev, now, self.numvfs), path=self.dev.display(sysfs.NUMVFS),
                                 value=str(self.numvfs), device=self.dev.name)
        except VfioError as exc:
            self.restore(exc)
            raise

    def restore(self, exc=None):
        """Put back the count and drivers_autoprobe the PF had; note it in ``exc``'s message.

        Reads what is there now, so that every write is undone once: 0 first if another count is
        enabled, then drivers_autoprobe (the old VFs are probed as they were), then the old count.
        """
        before = self.before
        try:
            now = sysfs.numvfs(self.dev)
            if now not in (0, before['numvfs']):
                self._write_count(0)
            if sysfs.drivers_autoprobe(self.dev) != before['drivers_autoprobe']:
                self._write_autoprobe(before['drivers_autoprobe'])
            if sysfs.numvfs(self.dev) != before['numvfs']:
                self._write_count(before['numvfs'])
        except VfioError as again:
            if exc is None:
                raise
            exc.add_note('putting back %d VFs failed too: %s' % (before['numvfs'], again.msg))
            return
        if exc is not None:
            exc.add_note('the previous count was put back (%d VFs%s)' % (
                before['numvfs'], ', as new devices' if before['numvfs'] else ''))


def plan_device(host, bus, req, rule, children=None, warnings=None):
    """The change one PF needs, or a change without actions when none is needed."""
    children = {} if children is None else children
    warnings = [] if warnings is None else warnings
    dev = require_pf(bus, req.device)
    total = sysfs.totalvfs(dev)
    check_count(dev, req, total)
    before = pf_state(dev, rule)
    autoprobe = before['drivers_autoprobe'] if req.drivers_autoprobe is None else req.drivers_autoprobe
    after = OrderedDict([('numvfs', req.numvfs), ('vfs', before['vfs']), ('drivers_autoprobe', autoprobe),
                         ('persisted', before['persisted'])])
    actions, taken = [], []
    if autoprobe != before['drivers_autoprobe']:
        actions.append('set %s to %d' % (dev.display(sysfs.AUTOPROBE), autoprobe))
    if req.numvfs != before['numvfs']:
        check_driver(dev, req)
        if before['numvfs']:
            taken = check_vfs(host, dev, before['vfs'], req, children, warnings)
            actions.append('remove the %d VFs (write 0 to %s)' % (before['numvfs'], dev.display(sysfs.NUMVFS)))
        if req.numvfs:
            actions.append('create %d VFs (write %d to %s)' % (req.numvfs, req.numvfs, dev.display(sysfs.NUMVFS)))
        after['vfs'] = sysfs.predicted_vfs(dev, req.numvfs)
    runtime = bool(actions)
    persist = None  # (entry before, entry after) when the boot rule changes
    if req.persistent:
        persist = plan_persist(dev, req, rule, autoprobe, actions)
        after['persisted'] = req.numvfs or None
    counter = Counter(dev, before, req.numvfs, autoprobe)

    def apply():
        if runtime:
            counter.run()  # puts the PF back itself when it fails
        if persist:
            try:
                rule.put(dev.name, persist[1])
            except ConfigError as exc:
                put_back(rule, dev.name, persist[0], exc)
                counter.restore(exc)
                raise

    def undo():
        if persist:
            rule.put(dev.name, persist[0])
        counter.restore()

    def describe(applied):
        # after applying, the PF as it is now; the diff keeps showing the prediction, as in check mode
        state = pf_state(dev, rule) if applied else after
        out = OrderedDict([('device', dev.name), ('numvfs', state['numvfs']), ('numvfs_before', before['numvfs']),
                           ('totalvfs', total), ('vfs', list(state['vfs'])),
                           ('drivers_autoprobe', state['drivers_autoprobe']), ('persisted', state['persisted'])])
        if taken:
            out['taken'] = taken
        return out

    change = SriovChange('pci/%s' % dev.name, diffable(before), diffable(after), actions, apply, undo, describe)
    change.persist = (dev.name, persist[1]) if persist else None
    return change


class SriovChange(Change):
    """One PF's change; ``persist`` is (device, Entry or None) when its boot rule line changes."""

    persist = None


def plan_persist(dev, req, rule, autoprobe, actions):
    """``(entry before, entry after)`` of the PF's boot rule line when it changes (adding the action), else None."""
    old = rule.get(dev.name)
    if req.numvfs == 0:
        new = None
    else:
        # drivers_autoprobe at boot: as asked, else as the line had it
        keep = old.autoprobe if old is not None else True
        new = Entry(req.numvfs, keep if req.drivers_autoprobe is None else autoprobe)
    if new == old:
        return None
    actions.append('persist %s at boot in %s' % (new.describe(), rule.display) if new
                   else 'remove the line of %s from %s' % (dev.name, rule.display))
    return old, new


def put_back(rule, device, entry, exc):
    """Put the PF's old line back after a failed write of the rule (udev's reload may fail after the file was
    written); note on ``exc`` when that fails too."""
    try:
        rule.put(device, entry)
    except ConfigError as again:
        exc.add_note('putting %s back failed too: %s' % (rule.display, again.msg))


def diffable(state):
    """A PF's state for the diff: the VF list as one line."""
    out = OrderedDict(state)
    out['vfs'] = ', '.join(state['vfs']) or None
    return out


class SriovPlan(Plan):
    """The VF counts of several PFs, and the boot rule they leave."""

    def __init__(self, host, rule):
        super(SriovPlan, self).__init__()
        self.host = host
        self.rule = rule

    def report(self, applied):
        """Each PF, and ``rule``: the boot rule's path and its lines after the task (predicted in check mode)."""
        result = super(SriovPlan, self).report(applied)
        changes = [] if applied else [c.persist for c in self.changes if c.persist]
        result['rule'] = OrderedDict([('path', self.rule.display), ('lines', self.rule.lines(changes))])
        return result


def plan_sriov(host, requests, locks=None):
    """A plan for several PFs; a PF named twice is refused. Needs no lock beyond the collection's."""
    bus = Bus(host, 'pci').require()
    rule = SriovRule(host)
    plan = SriovPlan(host, rule)
    children = inuse.running_children(_mdev.running(host)) if requests else {}
    seen = set()
    for req in requests:
        if req.device in seen:
            raise InvalidArgument('pci device %s is listed twice' % req.device, device=req.device)
        seen.add(req.device)
        plan.add(plan_device(host, bus, req, rule, children, plan.warnings))
    return plan
