# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarative mediated devices: from what should be to the least that gets there.

``defined`` keeps a definition (the running device is left alone unless ``live``),
``started`` runs the device (and, when persistent, defines it), ``stopped`` stops it and
keeps the definition, ``absent`` stops and undefines it (``state.py`` holds these rules).
Planning reads the host once (``Snapshot``), resolves each request to a uuid, asks the state
machine for the steps, counts instances across the run (``InstanceLedger``) and checks the
whole system before anything is applied.
"""

import uuid as uuidlib
from collections import OrderedDict

from .._ap.masks import APBus
from .._ap.matrix import is_ap, matrix_writes, read_matrix, wanted_matrix
from .._core.errors import ConfigError, ConflictError, InvalidArgument, NotFound
from .._core.host import AP_LOCK
from .._core.plan import Plan
from .._sysfs.readpass import ReadPass
from . import boot as _boot
from . import state as _state
from . import sysfs as _mdev
from .callouts import Callouts
from .active import callout_attrs, matrix_attrs_of
from .config import ConfigStore, Definition
from .conflicts import find_conflicts, read_system, view_of
from .request import MdevRequest
from .steps import DeviceSteps, MdevChange


_DESIRED = object()  # stands for the desired definition when asking the state machine what it keeps


class Snapshot(object):
    """The host as planning reads it, once: definitions, running devices, callouts, a reading pass."""

    def __init__(self, host):
        self.host = host
        self.store = ConfigStore(host)
        self.defined = self.store.definitions()  # {(parent, uuid): Definition}
        self.dirs = ReadPass()  # open for planning only: plan_mdevs closes it
        self.running = _mdev.running(host, self.dirs)
        self.callouts = Callouts(host)

    def close(self):
        """Close the reading pass."""
        self.dirs.close()


class InstanceLedger(object):
    """Instances of each (parent, type) across the run: a stop frees one for a later start."""

    def __init__(self, host):
        self.host = host
        self.types = {}
        self.starting = {}
        self.freed = {}

    def free(self, key):
        """A device of ``key`` (parent, type) stops in this run."""
        self.freed[key] = self.freed.get(key, 0) + 1

    def take(self, d):
        """A device starts in this run; NotFound when its type has no instance left for it."""
        key = (d.parent, d.mdev_type)
        if key not in self.types:  # read once per type, not once per device started
            mtype = _mdev.require_type(self.host, d.parent, d.mdev_type)
            self.types[key] = (mtype, mtype.available())
        mtype, available = self.types[key]
        self.starting[key] = self.starting.get(key, 0) + 1
        if available is not None:
            available += self.freed.get(key, 0)
        if available is not None and self.starting[key] > available:
            raise NotFound('mdev type %s of parent %s has %d instance(s) left; cannot start mdev %s' % (
                d.mdev_type, d.parent, available, d.uuid), path=self.host.display(mtype.path('available_instances')),
                value=d.uuid)


class MdevPlan(Plan):
    """The changes of many mdevs, the callouts that ran and the conflicts validation found."""

    def __init__(self, snapshot):
        super(MdevPlan, self).__init__()
        self.host = snapshot.host
        self.callouts = snapshot.callouts
        self.conflicts = []
        self._readback = None

    def readback(self):
        """Definitions and running devices after applying, read once for all the devices' reports."""
        if self._readback is None:
            self._readback = (ConfigStore(self.host), _mdev.running(self.host))
        return self._readback

    def report(self, applied):
        """Each device, the callouts that ran, and the first device's uuid."""
        result = super(MdevPlan, self).report(applied)
        result['callouts'] = self.callouts.ran
        result['boot_start'] = _boot.boot_starter(self.host)[0]
        if result['devices']:
            result['uuid'] = result['devices'][0]['uuid']
        return result


class MdevPlanner(object):
    """Resolves requests against one Snapshot and turns each into MdevChanges of one MdevPlan.

    A definition is a (parent, uuid) pair: a request that names its parent concerns that pair
    only; one that does not concerns every pair of its uuid, and is refused as ambiguous when
    there are several (except ``absent``, which removes them all, as ``mdevctl undefine -u``).
    """

    def __init__(self, snapshot):
        self.snap = snapshot
        self.host = snapshot.host
        self.ledger = InstanceLedger(snapshot.host)
        self.plan = MdevPlan(snapshot)
        self.releases = []  # changes that give up vfio_ap assignments, applied before all others

    def candidates(self, req):
        """The uuids of existing devices an anonymous request could mean, oldest definition first.

        Definitions of its parent and type (with its attrs, when given) come first, oldest file
        first; then devices that run there undefined (running the attrs, when given).
        """
        defined, running, store = self.snap.defined, self.snap.running, self.snap.store
        found = [(store.age(p, u) or 0, u) for (p, u), d in defined.items()
                 if (p, d.mdev_type) == (req.parent, req.mdev_type) and (req.attrs is None or d.attrs == req.attrs)]
        matches = [u for _age, u in sorted(found)]
        if not matches or req.counted:
            others = [u for u, (p, t) in sorted(running.items())
                      if (p, t) == (req.parent, req.mdev_type) and (p, u) not in defined and u not in matches]
            # with attrs, a running device matches when it runs them: a task with persistent: false
            # finds its own device again instead of inventing a new uuid every run. Stopping never asks
            # a callout script (mdevctl's stop does not either).
            asks = req.attrs is not None and req.state not in ('stopped', 'absent')
            if asks:
                others = [u for u in others if self._runs(u, req.parent, req.mdev_type, req.attrs)]
            matches += others
        return matches

    def find_uuid(self, req):
        """The uuid a request means: its own, the one device that matches it, or a new one (None for absent)."""
        if req.uuid:
            return req.uuid
        return self.share([req])[0]

    def share(self, reqs):
        """Uuids for anonymous requests of one pool (parent, type, attrs), in order: existing devices first.

        ``count`` requests take the oldest matches and leave the rest; other requests must match
        no more devices than there are requests (which ones would be a guess).
        """
        matches = self.candidates(reqs[0])
        counted = any(r.counted for r in reqs)
        if len(matches) > len(reqs) and not counted:
            req = reqs[0]
            raise InvalidArgument('more than one mdev of type %s on parent %s matches (%s)%s; give the uuid%s' % (
                req.mdev_type, req.parent, ', '.join(matches),
                ' for %d entries' % len(reqs) if len(reqs) > 1 else '', ', or use count' if len(reqs) > 1 else ''),
                field='uuid', value=', '.join(matches))
        out = []
        for index, req in enumerate(reqs):
            if index < len(matches):
                out.append(matches[index])
            else:
                out.append(None if req.state == 'absent' else str(uuidlib.uuid4()))
        return out

    def _runs(self, uuid, parent, mtype, attrs):
        """True if the running device ``uuid`` runs with ``attrs`` (as far as the host or a callout can tell)."""
        if is_ap(mtype):
            return read_matrix(self.host, uuid, self.snap.dirs) == wanted_matrix(attrs)
        return self._running_attrs(uuid, parent, mtype) == attrs

    def known_parents(self, uuid):
        """Every parent ``uuid`` is defined under (readable or not) or runs under, sorted."""
        running = self.snap.running.get(uuid)
        return sorted(set(self.snap.store.parents_of(uuid)) | (set([running[0]]) if running else set()))

    def add(self, req):
        """Plan one request whose uuid is resolved: one change, or one per parent for absent without parent."""
        uuid = req.uuid
        if req.parent is not None:
            return [self._add_one(req, req.parent)]
        known = self.known_parents(uuid)
        running = self.snap.running.get(uuid)
        if len(known) > 1:
            if req.state == 'absent':
                return [self._add_one(req, parent) for parent in known]
            if req.state == 'stopped' and not req.edits_definition:
                # only the running device is concerned, and there is one
                return [self._add_one(req, running[0] if running else None)]
            where = ', '.join('%s (%s)' % (p, self._where(p, uuid)) for p in known)
            raise InvalidArgument('mdev %s is ambiguous: it is known under more than one parent: %s; give parent'
                                  % (uuid, where), value=uuid, field='parent', parents=known)
        return [self._add_one(req, known[0] if known else None)]

    def _where(self, parent, uuid):
        running = self.snap.running.get(uuid)
        files = [self.snap.store.display(parent, uuid)] if parent in self.snap.store.parents_of(uuid) else []
        return ', '.join(files + (['running'] if running and running[0] == parent else []))

    def _add_one(self, req, parent):
        """Plan a request for the definition and device of ``uuid`` under ``parent`` (None: neither exists)."""
        uuid = req.uuid
        store = self.snap.store
        problem = store.problem(uuid, parent) if parent is not None else None
        if problem and req.state != 'absent':
            raise ConfigError('mdev %s: %s; fix or remove the file first' % (uuid, problem['msg']),
                              path=problem['path'])
        running = self.snap.running.get(uuid)
        if running and parent is not None and running[0] != parent:
            if req.state == 'started':
                raise InvalidArgument('mdev %s already exists as type %s on parent %s, not %s on %s' % (
                    uuid, running[1], running[0], req.mdev_type or 'a device', parent), value=uuid, field='uuid')
            running = None  # the device that runs is another parent's: left alone
        if problem:  # absent was asked for: the unreadable definition goes too
            steps = [('purge', problem['parent'])] + \
                ([('stop', self._as_running(uuid, running, None))] if running else [])
            change = self._change(uuid, req, None, running, None, False, steps, None, parent)
            change.actions[0] = 'remove unreadable %s' % problem['path']
            return change
        before = self.snap.defined.get((parent, uuid)) if parent is not None else None
        mtype = req.mdev_type or (before.mdev_type if before else None) or (running[1] if running else None)
        if parent is None or mtype is None:
            if req.state in ('stopped', 'absent') and not before and not running:
                return self._change(uuid, req, before, running, before, bool(running), [], None, parent)
            raise NotFound('mdev %s is neither active nor defined; give parent and type' % uuid, value=uuid)
        self._check_identity(uuid, running, parent, mtype)
        base = before.attrs if before else []
        running_def = self._as_running(uuid, running, before) if running else None
        defines = _state.targets(req.state, req.persistent, req.mdev_type is not None, before, running,
                                 _DESIRED)[0] is _DESIRED
        if before is None and running and defines and req.attrs is None:
            # defining a device made by other means keeps what it runs (mdevctl define -u): its
            # vfio_ap matrix as the kernel shows it, else what a callout reads; stopping never asks
            # a callout (mdevctl's stop does not), so a definition written while stopping has what
            # the kernel shows, or no attributes
            if is_ap(mtype):
                base = running_def.attrs
            elif req.state in ('stopped', 'absent'):
                base = []
                self.plan.warnings.append('mdev %s: the attributes of the running device are not read when it is '
                                          'stopped (no get-attributes callout), so its new definition has none; '
                                          'give attrs, or define it before stopping it' % uuid)
            else:
                base = self._running_attrs(uuid, parent, mtype)
        desired = Definition(uuid, parent, mtype, req.autostart or (before.start if before else 'manual'),
                             req.edited_attrs(base, uuid), before.extra if before else None)
        want_def, want_running = _state.targets(req.state, req.persistent, req.mdev_type is not None, before,
                                                running, desired)

        def running_differs():
            return is_ap(mtype) and read_matrix(self.host, uuid, self.snap.dirs) != wanted_matrix(desired.attrs)

        steps, warnings = _state.steps(before, running, want_def, want_running, desired, req.live, running_differs,
                                       running_def)
        self.plan.warnings.extend(warnings)
        for name, d in steps:
            if name == 'stop':
                self.ledger.free(tuple(running))
            elif name == 'start':
                self.ledger.take(d)
        live = any(name == 'live' for name, _d in steps)
        shown = want_def or desired
        view = None if want_def is None and not want_running else view_of(
            uuid, parent, mtype, want_running, bool(want_def and want_def.start == 'auto'), shown.attrs,
            self.host if running and want_running and not live else None, self.snap.dirs)
        if is_ap(mtype) and ('live', desired) in steps:
            self._release_first(uuid, req, before, desired)
        return self._change(uuid, req, before, running, want_def, want_running, steps, view, parent)

    def _release_first(self, uuid, req, before, desired):
        """Hoist what a live vfio_ap change gives up to the front of the plan.

        Swapping domains between two running guests cannot be done device by device: the first
        assign finds the domain still held by the other. Every release (unassign) runs before any
        assign, so no intermediate state takes from a guest what it keeps in the end.
        """
        current = read_matrix(self.host, uuid, self.snap.dirs)
        if current is None or not [w for w in matrix_writes(current, wanted_matrix(desired.attrs))
                                   if w[0].startswith('unassign_')]:
            return
        work = DeviceSteps(self.snap, uuid, req.force, before, [('release', desired)], self.plan.warnings)
        change = MdevChange(self.plan, uuid, before, True, before, True, work, None, parent=desired.parent)
        change.key = '%s (release)' % uuid
        change.entry = False
        self.releases.append(change)

    def _as_running(self, uuid, running, before):
        """The running device as a Definition with the attrs it runs (so a stop can be undone exactly)."""
        parent, mtype = running
        matrix = read_matrix(self.host, uuid, self.snap.dirs) if is_ap(mtype) else None
        if matrix is not None:
            attrs = matrix_attrs_of(matrix)
        else:
            attrs = before.attrs if before is not None else []  # what other devices run is not readable
        return Definition(uuid, parent, mtype, before.start if before else 'manual', attrs,
                          before.extra if before else None)

    def _check_identity(self, uuid, running, parent, mtype):
        if running and tuple(running) != (parent, mtype):
            raise InvalidArgument('mdev %s already exists as type %s on parent %s, not %s on %s' % (
                uuid, running[1], running[0], mtype, parent), value=uuid, field='uuid')

    def _running_attrs(self, uuid, parent, mtype):
        """Attributes of a device created by other means, from callouts (as ``mdevctl define -u``)."""
        return callout_attrs(self.snap.callouts, uuid, parent, mtype) or []

    def _change(self, uuid, req, before, running, want_def, want_running, steps, view, parent=None):
        work = DeviceSteps(self.snap, uuid, req.force, before, steps, self.plan.warnings)
        return self.plan.add(MdevChange(self.plan, uuid, before, running, want_def, want_running, work, view,
                                        req.generated, parent))


def plan_mdevs(host, requests, exclusive=False, validate=True, locks=None, exclusive_parent=None, allow_empty=False):
    """A plan for many devices; with ``exclusive``, other devices of the named parents go away.

    An empty list with ``exclusive`` would take every device of a parent: it is refused unless
    ``allow_empty``, and then applies to ``exclusive_parent`` (a template that came out empty must
    never stop a guest's device by surprise).

    With ``validate``, the whole system after the change is checked first and a change that
    conflicts with another device or the host is refused (ConflictError lists every conflict).
    On a host with an AP bus, s390-tools' AP lock is held: its ap-check callout expects it.
    """
    if exclusive and not requests:
        if not allow_empty:
            raise InvalidArgument('devices is empty and exclusive is true: that would stop and undefine every mdev of '
                                  'the parent; set allow_empty: true if that is meant', field='devices')
        if exclusive_parent is None:
            raise InvalidArgument('an empty devices list with exclusive and allow_empty needs parent: the parent '
                                  'whose every mdev goes away', field='parent')
    if locks is not None and APBus(host).exists:
        locks.need(AP_LOCK)
    snapshot = Snapshot(host)
    try:
        planner = MdevPlanner(snapshot)
        _plan_all(planner, requests, exclusive, exclusive_parent)
        if validate:
            _validate(planner)
        _boot_start(planner.plan)
        return planner.plan
    finally:
        snapshot.close()


def _resolve(planner, requests):
    """Give each request its uuid, once, so that a generated uuid stays the same through planning.

    Anonymous requests of one pool (parent, type, attrs) share its existing devices out among
    themselves, oldest first, so that a list of them, or ``count``, finds the same devices again.
    """
    pools = OrderedDict()
    for req in requests:
        if req.uuid is None:
            pools.setdefault(req.pool(), []).append(req)
    existing = set(u for _p, u in planner.snap.defined) | set(planner.snap.running)
    for reqs in pools.values():
        for req, uuid in zip(reqs, planner.share(reqs)):
            req.generated = uuid is not None and uuid not in existing
            req.uuid = uuid
    seen = set()
    for req in requests:
        if req.uuid is None:
            continue
        # the same pair twice, or a uuid without parent next to the same uuid with or without one
        if any(u == req.uuid and (p == req.parent or None in (p, req.parent)) for p, u in seen):
            raise InvalidArgument('mdev %s is listed twice' % req.uuid, value=req.uuid, field='devices')
        seen.add((req.parent, req.uuid))


def _plan_all(planner, requests, exclusive, exclusive_parent=None):
    snap = planner.snap
    _resolve(planner, requests)
    if exclusive:
        # the others go first: stopping them frees instances (a subchannel holds one vfio_ccw device)
        parents = set(r.parent for r in requests if r.parent) | set([exclusive_parent] if exclusive_parent else [])
        listed = set()
        for req in requests:
            if req.uuid is None:
                continue
            for parent in [req.parent] if req.parent else planner.known_parents(req.uuid):
                listed.add((parent, req.uuid))
                parents.add(parent)
        others = set(key for key in snap.defined if key[0] in parents)
        others |= set((p, u) for u, (p, _t) in snap.running.items() if p in parents)
        for parent, uuid in sorted(others - listed):
            other = MdevRequest(uuid=uuid, state='absent')
            other.parent = parent  # as found on the host, whatever its name
            planner.add(other)
    for req in requests:
        if req.uuid is not None:
            planner.add(req)
    planner.plan.changes[:0] = planner.releases


def _boot_start(plan):
    """Where mdevctl does not start ``auto`` definitions, install the collection's start first, when the run
    leaves one."""
    # an auto definition the run leaves, changed or not: files deleted or never installed are put back
    writes_auto = any(c.view is not None and c.view.autostart for c in plan.changes)
    starter, why = _boot.boot_starter(plan.host)
    if writes_auto and starter == 'builtin':
        if why:
            plan.warnings.append('mdevctl is installed but %s, so it would not start auto devices at boot; the '
                                 'collection installs its own start' % why)
        install = _boot.boot_files(plan.host).change()
        if install:
            plan.changes.insert(0, install)


def _validate(planner):
    """Refuse the plan when the system after it has a conflict that involves a changed device."""
    plan, snap = planner.plan, planner.snap
    proposed = dict(((c.parent, c.uuid), c.view) for c in plan.changes if c.actions and c.entry)
    if not proposed:
        return
    system = read_system(planner.host, snap.store, snap.running, snap.dirs)
    plan.conflicts = find_conflicts(system, proposed)
    unread = [p['path'] for p in snap.store.problems if (p.get('parent'), p.get('uuid')) not in proposed]
    if unread:  # mdevctl may still read and autostart them: a conflict with them cannot be ruled out
        plan.warnings.append('%d definition(s) cannot be read, so this change was not checked against them: %s'
                             % (len(unread), ', '.join(unread)))
    if plan.conflicts:
        raise ConflictError('refused, the change conflicts with the system: ' +
                            '; '.join(c['msg'] for c in plan.conflicts), conflicts=plan.conflicts)
