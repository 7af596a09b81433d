# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Handing AP queues to vfio_ap through ``/sys/bus/ap/apmask`` and ``aqmask``, planned first.

A queue whose adapter bit is set in apmask and whose domain bit is set in aqmask stays with the
host's drivers; clearing either bit hands it to vfio_ap. A change that would give the host an
APQN assigned to an mdev is refused before the kernel answers EBUSY, naming the mdev.
"""

from collections import OrderedDict

from .._core import fileio as _fileio
from .._core import services
from .._core.errors import InvalidArgument, VfioError
from .._core.host import AP_LOCK, AP_RULE
from .._core.names import queue_name
from .._core.plan import Change, Plan
from .._mdev import sysfs as _mdev
from .._mdev.config import ConfigStore
from .._sysfs import attr as _attr
from .._sysfs.kmod import load_driver
from .._sysfs.readpass import ReadPass
from . import masks as _ap
from .masks import ALL, APBus, ids_text
from .matrix import is_ap, read_matrix, wanted_matrix
from .rule import boot_masks, rule_text


class MaskRequest(object):
    """The adapters and domains that should go to vfio_ap (or raw kernel mask syntax)."""

    def __init__(self, adapters=None, domains=None, state='present', exclusive=False, apmask=None, aqmask=None,
                 persistent=True, load_vfio_ap=True):
        if state not in ('present', 'absent'):
            raise InvalidArgument('state must be present or absent, not %r' % (state,), field='state')
        if exclusive and state == 'absent':
            raise InvalidArgument('exclusive goes with state=present', field='exclusive')
        self.adapters = _ap.parse_ids(adapters, 'adapters')
        self.domains = _ap.parse_ids(domains, 'domains')
        self.state = state
        self.exclusive = bool(exclusive)
        for name, text in (('apmask', apmask), ('aqmask', aqmask)):
            if text is not None and (not isinstance(text, str) or '\n' in text or len(text) > 200):
                raise InvalidArgument('%s must be a mask such as 0xffff... or a change list such as -5,+6' % name,
                                      field=name, value=str(text)[:64])
        self.apmask = apmask
        self.aqmask = aqmask
        self.persistent = bool(persistent)
        self.load_vfio_ap = bool(load_vfio_ap)

    def target(self, current, ids, raw, what):
        """The ids the host keeps after this request."""
        if raw is not None:
            return _ap.apply_mask_text(current, raw, what)
        if self.exclusive:
            return ALL - ids
        return current - ids if self.state == 'present' else current | ids


def assigned(host):
    """Every APQN assigned to a running mdev, ``{(adapter, domain): uuid}``."""
    owned = {}
    with ReadPass() as dirs:
        for uuid in _mdev.running(host, dirs):
            matrix = read_matrix(host, uuid, dirs)
            if matrix:
                for a in matrix['adapter']:
                    for d in matrix['domain']:
                        owned[(a, d)] = uuid
    return owned


def autostarted(host):
    """Every APQN an ``auto`` vfio_ap definition claims, ``{(adapter, domain): uuid}`` (what boot will start)."""
    owned = {}
    for definition in ConfigStore(host).definitions().values():
        if definition.start == 'auto' and is_ap(definition.mdev_type):
            matrix = wanted_matrix(definition.attrs)
            for a in matrix['adapter']:
                for d in matrix['domain']:
                    owned[(a, d)] = definition.uuid
    return owned


def refuse_taking(taken, why):
    """InvalidArgument naming the APQNs the masks would give the host and the mdevs that need them."""
    if taken:
        raise InvalidArgument(('the masks would give the host APQN %s, ' + why) % (
            _ap.apqn_list([queue_name(a, d) for (a, d), _u in taken]), ', '.join(sorted(set(u for _a, u in taken)))),
            field='adapters')


def state_of(host, adapters, domains, rule):
    """The view of the masks used in reports and diffs."""
    return OrderedDict([
        ('apmask', _ap.format_mask(adapters)), ('aqmask', _ap.format_mask(domains)),
        ('vfio_adapters', ids_text(ALL - adapters)), ('vfio_domains', ids_text(ALL - domains)),
        ('persisted', host.display(host.path(*AP_RULE)) if rule else None),
    ])


def plan_masks(host, req, locks=None):
    """The plan that sets the masks (and their udev rule) as requested, under s390-tools' AP lock."""
    if locks is not None:
        locks.need(AP_LOCK)
    bus = APBus(host)
    if not bus.exists:
        raise InvalidArgument('this host has no AP bus (%s is missing)' % host.display(bus.path('apmask')),
                              path=host.display(bus.path('apmask')))
    cur_a, cur_d = bus.masks()
    new_a = req.target(cur_a, req.adapters, req.apmask, 'apmask')
    new_d = req.target(cur_d, req.domains, req.aqmask, 'aqmask')
    rule_path = host.path(*AP_RULE)
    rule_before = _fileio.read_text(rule_path, host.display(rule_path))
    rule_after = rule_text(_ap.format_mask(new_a), _ap.format_mask(new_d)) if req.persistent else rule_before
    masks_change = (new_a, new_d) != (cur_a, cur_d)
    if rule_after != rule_before and rule_after is not None:
        # the masks the host boots with may change without the runtime ones (a rule written for masks set by hand)
        boot_a, boot_d, _source = boot_masks(host)
        refuse_taking(sorted(((a, d), u) for (a, d), u in autostarted(host).items()
                             if a in new_a and d in new_d and not (a in boot_a and d in boot_d)),
                      'at boot, which mdev %s needs when it starts at boot (autostart); unassign it from the '
                      'definition or make it manual first')
    if masks_change:
        def given_back(owned):
            return sorted(((a, d), u) for (a, d), u in owned.items()
                          if a in new_a and d in new_d and not (a in cur_a and d in cur_d))
        refuse_taking(given_back(assigned(host)), 'assigned to mdev %s (the kernel refuses with EBUSY); unassign '
                                                  'it from the mdev first')
        refuse_taking(given_back(autostarted(host)), 'which mdev %s needs when it starts at boot (autostart); '
                                                     'unassign it from the definition or make it manual first')
        with ReadPass() as dirs:  # one pass over the queues (65,536 on a full configuration)
            overrides = [n for n in bus.device_names() if bus.device(n, dirs).override]
        if overrides:
            raise InvalidArgument('AP queue %s has a driver_override; the kernel refuses mask changes while any '
                                  'queue has one (clear it with vfio.passthrough.driver_override state=absent)'
                                  % ', '.join(overrides), field='apmask')
    actions = []
    if req.load_vfio_ap and not bus.has_driver('vfio_ap'):
        actions.append('load module vfio_ap')
    if new_a != cur_a:
        actions.append('write apmask (vfio_ap gets adapters %s)' % ids_text(ALL - new_a))
    if new_d != cur_d:
        actions.append('write aqmask (vfio_ap gets domains %s)' % ids_text(ALL - new_d))
    if rule_after != rule_before:
        actions.append('persist in %s' % host.display(rule_path))

    def write_masks(adapters, domains):
        now_a, now_d = bus.masks()
        owned = assigned(host)
        # apmask first passes through (adapters x now_d): use the other order when that would give
        # the host a queue of an mdev for a moment (the kernel would answer EBUSY).
        order = [('apmask', adapters), ('aqmask', domains)]
        if any(a in adapters and d in now_d for a, d in owned):
            order.reverse()
        for name, ids in order:
            if _ap.parse_mask(_attr.read(bus.path(name))) != ids:
                _attr.write(bus.path(name), _ap.format_mask(ids), device='AP bus', display=host.display(bus.path(name)))

    def put_rule(text):
        if text is None:
            _fileio.remove(rule_path, host.display(rule_path))
        else:
            _fileio.write_atomic(rule_path, text, 0o644, host.display(rule_path), host.tools)

    def apply():
        if req.load_vfio_ap:
            load_driver(host, bus, 'vfio_ap')
        # the file first: a read-only /etc then fails before the kernel's state is touched
        if rule_after != rule_before:
            put_rule(rule_after)
            services.reload_udev(host)
        try:
            write_masks(new_a, new_d)
        except VfioError as exc:
            restore(exc)
            raise

    def restore(exc):
        try:
            write_masks(cur_a, cur_d)
            if rule_after != rule_before:
                put_rule(rule_before)
        except VfioError as again:
            exc.add_note('restoring the masks failed too: %s' % again.msg)
        else:
            exc.add_note('the masks and their rule were restored')

    def undo():
        write_masks(cur_a, cur_d)
        if rule_after != rule_before:
            put_rule(rule_before)

    plan = MaskPlan()
    plan.add(Change('AP masks', state_of(host, cur_a, cur_d, rule_before), state_of(host, new_a, new_d, rule_after),
                    actions, apply, undo))
    return plan


class MaskPlan(Plan):
    """The one change of the AP masks; its state is the module's result."""

    def report(self, applied):
        """The masks after the change (predicted in check mode) and the actions, at the top level."""
        return self.changes[0].result(applied)
