# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarative mediated devices: from what should be to the least that gets there.

``defined`` keeps a definition (the running device is left alone unless ``live``),
``started`` runs the device (and, when persistent, defines it), ``stopped`` stops it and
keeps the definition, ``absent`` stops and undefines it. Every change is wrapped in mdevctl's
callouts and can be undone if a later change of the same run fails.
"""

import uuid as uuidlib
from collections import OrderedDict

from . import _attr, _mdev, _names
from ._callouts import Callouts
from ._errors import ConfigError, InvalidArgument, NotFound, VfioError
from ._mdev_config import AUTOSTART, ConfigStore, Definition, attrs_json, normalize_attrs
from ._plan import Change, Plan
from ._validate import find_conflicts, is_ap, read_system, view_of

STATES = ('defined', 'started', 'stopped', 'absent')


class ConflictError(VfioError):
    """The change would conflict with another device or the host (whole-system validation)."""


class MdevRequest(object):
    """One device as the user wants it, validated."""

    def __init__(self, uuid=None, parent=None, mdev_type=None, attrs=None, autostart=None, state='started',
                 persistent=True, live=False, force=False, attrs_delete_index=None, attrs_add=None,
                 attrs_add_index=None, matrix=None):
        self.uuid = _names.uuid(uuid) if uuid is not None else None
        self.parent = _names.safe_name(parent, 'parent') if parent is not None else None
        self.mdev_type = _names.safe_name(mdev_type, 'type') if mdev_type is not None else None
        if matrix is not None:
            if attrs is not None:
                raise InvalidArgument('give either attrs or matrix, not both', field='matrix')
            attrs = matrix_attrs(matrix)
        self.attrs = normalize_attrs(attrs)
        self.attrs_add = normalize_attrs(attrs_add, 'attrs_add') or []
        if autostart is not None and autostart not in AUTOSTART:
            raise InvalidArgument('autostart must be auto or manual, not %r' % (autostart,), field='autostart')
        self.autostart = autostart
        if state not in STATES:
            raise InvalidArgument('state must be one of %s, not %r' % (', '.join(STATES), state), field='state')
        self.state = state
        self.persistent = bool(persistent)
        self.live = bool(live)
        self.force = bool(force)
        for name, value in (('attrs_delete_index', attrs_delete_index), ('attrs_add_index', attrs_add_index)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise InvalidArgument('%s must be a non-negative integer, not %r' % (name, value), field=name)
        self.attrs_delete_index = attrs_delete_index
        self.attrs_add_index = attrs_add_index
        if self.uuid is None and (self.parent is None or self.mdev_type is None) and state != 'absent':
            raise InvalidArgument('without uuid, parent and type are required (to find the device or create one)',
                                  field='uuid')


MATRIX_KEYS = (('adapters', 'assign_adapter'), ('domains', 'assign_domain'),
               ('control_domains', 'assign_control_domain'))


def matrix_attrs(matrix):
    """vfio-ap attrs from ``{adapters, domains, control_domains}``: adapters, then domains, then control domains.

    Numbers are written in hex (``0x2a``); strings are kept as given.
    """
    if not isinstance(matrix, dict) or set(matrix) - set(k for k, _a in MATRIX_KEYS):
        raise InvalidArgument('matrix must be a mapping with adapters, domains and control_domains lists, got %r'
                              % (matrix,), field='matrix', value=repr(matrix)[:200])
    attrs = []
    for key, attr in MATRIX_KEYS:
        values = matrix.get(key) or []
        if not isinstance(values, list):
            raise InvalidArgument('matrix %s must be a list, got %r' % (key, values), field='matrix')
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise InvalidArgument('matrix %s: %r is not a number' % (key, value), field='matrix')
            attrs.append({attr: '%#x' % value if isinstance(value, int) else value})
    return attrs


def _view(definition, active):
    """The state of one device for reports and diffs."""
    out = OrderedDict([('definition', definition.text() if definition else None),
                       ('active', 'yes' if active else 'no')])
    return out


class MdevPlanner(object):
    """Plans the changes of many devices against one reading of sysfs and /etc/mdevctl.d."""

    def __init__(self, host):
        self.host = host
        self.store = ConfigStore(host)
        self.defined = self.store.all()
        self.dirs = _attr.Dirs()  # open for planning only: plan_mdevs closes it
        self.active = _mdev.active(host, self.dirs)
        self.callouts = Callouts(host)
        self.starting = {}
        self.types = {}
        self.freed = {}
        self.warnings = []
        self._readback = None

    def readback(self):
        """Definitions and running devices after applying, read once for all the devices' reports."""
        if self._readback is None:
            self._readback = (ConfigStore(self.host), _mdev.active(self.host))
        return self._readback

    # -- resolution ----------------------------------------------------------

    def _find_uuid(self, req):
        if req.uuid:
            return req.uuid
        matches = [u for u, d in sorted(self.defined.items())
                   if (d.parent, d.mdev_type) == (req.parent, req.mdev_type) and
                   (req.attrs is None or d.attrs == req.attrs)]
        if not matches and not req.attrs:
            matches = [u for u, (p, t) in sorted(self.active.items())
                       if (p, t) == (req.parent, req.mdev_type) and u not in self.defined]
        if len(matches) > 1:
            raise InvalidArgument('more than one mdev of type %s on parent %s matches (%s); give the uuid' % (
                req.mdev_type, req.parent, ', '.join(matches)), field='uuid', value=', '.join(matches))
        if matches:
            return matches[0]
        return None if req.state == 'absent' else str(uuidlib.uuid4())

    def _attrs(self, req, base, uuid):
        attrs = list(req.attrs if req.attrs is not None else base)
        if req.attrs_delete_index is not None:
            if req.attrs_delete_index >= len(attrs):
                raise InvalidArgument('mdev %s: attrs_delete_index %d is out of range (the device has %d attributes)'
                                      % (uuid, req.attrs_delete_index, len(attrs)), field='attrs_delete_index')
            del attrs[req.attrs_delete_index]
        if req.attrs_add:
            at = len(attrs) if req.attrs_add_index is None else req.attrs_add_index
            if at > len(attrs):
                raise InvalidArgument('mdev %s: attrs_add_index %d is out of range (the device has %d attributes)'
                                      % (uuid, at, len(attrs)), field='attrs_add_index')
            attrs[at:at] = req.attrs_add
        return attrs

    # -- planning --------------------------------------------------------------

    def plan_device(self, req):
        """A Change for one request (without actions when nothing is to do)."""
        uuid = self._find_uuid(req)
        if uuid is None:
            return None
        problem = self.store.problem(uuid)
        if problem and req.state != 'absent':
            raise ConfigError('mdev %s: %s; fix or remove the file first' % (uuid, problem['msg']),
                              path=problem['path'])
        if problem:  # absent was asked for: the unreadable definition goes too
            act = self.active.get(uuid)
            steps = ([('stop', Definition(uuid, act[0], act[1]))] if act else []) + [('purge', problem['parent'])]
            change = self._change(uuid, req, None, act, None, False, steps, [])
            change.actions[-1] = 'remove unreadable %s' % problem['path']
            change.view = None
            return change
        before = self.defined.get(uuid)
        act = self.active.get(uuid)
        parent = req.parent or (before.parent if before else None) or (act[0] if act else None)
        mtype = req.mdev_type or (before.mdev_type if before else None) or (act[1] if act else None)
        if parent is None or mtype is None:
            if req.state in ('stopped', 'absent') and not before and not act:
                change = self._change(uuid, req, before, act, before, bool(act), [], [])
                change.view = None
                return change
            raise NotFound('mdev %s is neither active nor defined; give parent and type' % uuid, value=uuid)
        if act and tuple(act) != (parent, mtype):
            raise InvalidArgument('mdev %s already exists as type %s on parent %s, not %s on %s' % (
                uuid, act[1], act[0], mtype, parent), value=uuid, field='uuid')
        if before and before.parent != parent and req.state != 'absent':
            raise InvalidArgument('mdev %s is defined for parent %s (%s); undefine it before moving it to %s' % (
                uuid, before.parent, self.store.display(before.parent, uuid), parent), value=uuid, field='parent')
        base = before.attrs if before else []
        if before is None and act and req.attrs is None and req.state != 'absent':
            base = self._running_attrs(uuid, parent, mtype)
        desired = Definition(uuid, parent, mtype, req.autostart or (before.start if before else 'manual'),
                             self._attrs(req, base, uuid), before.extra if before else None)
        want_def, want_active = self._targets(req, before, act, desired)
        steps = []
        if before and want_def is None:
            steps.append(('undefine', before))
        if want_def is not None and want_def != before:
            steps.append(('modify' if before else 'define', want_def))
        if act and not want_active:
            steps.insert(0, ('stop', before or desired))
            key = tuple(act)
            self.freed[key] = self.freed.get(key, 0) + 1  # its instance is free for a start later in this run
        if want_active and not act:
            self._check_start(desired)
            steps.append(('start', desired))
        if act and want_active and want_def is not None and before is not None and want_def.attrs != before.attrs:
            if req.live:
                steps.append(('live', desired))
            else:
                self.warnings.append('mdev %s is running with its old attributes; use live: true to change the '
                                     'running device, or stop and start it' % uuid)
        elif act and want_active and is_ap(mtype) and \
                _mdev.ap_matrix(self.host, uuid, self.dirs) != _mdev.ap_wanted(desired.attrs):
            # the running matrix is not what the definition says (an interrupted start, a change by hand)
            if req.live:
                steps.append(('live', desired))
            else:
                self.warnings.append('mdev %s runs with a matrix that differs from its attributes; use live: true '
                                     'to bring it in line' % uuid)
        change = self._change(uuid, req, before, act, want_def, want_active, steps, base)
        shown = want_def or desired
        live = any(name == 'live' for name, _d in steps)
        change.view = None if want_def is None and not want_active else view_of(
            uuid, parent, mtype, want_active, bool(want_def and want_def.start == 'auto'), shown.attrs,
            self.host if act and want_active and not live else None, self.dirs)
        return change

    def _targets(self, req, before, act, desired):
        if req.state == 'absent':
            return None, False
        if req.state == 'defined':
            return desired, bool(act)
        if req.state == 'started':
            return (desired if req.persistent else before), True
        keep = desired if req.persistent and (before or req.mdev_type) else before
        return keep, False

    def _running_attrs(self, uuid, parent, mtype):
        """Attributes of a device created by other means, from callouts (as ``mdevctl define -u``)."""
        probe = Definition(uuid, parent, mtype)
        attrs = self.callouts.get_attributes(probe) if self.callouts.present else None
        return normalize_attrs(attrs, 'attributes from the callout script') if attrs else []

    def _check_start(self, d):
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

    def _change(self, uuid, req, before, act, want_def, want_active, steps, base):
        work = Work(self, uuid, req, before, act, steps, base)
        change = Change(uuid, _view(before, act), _view(want_def, want_active),
                        [describe_step(name, d, self.store) for name, d in steps], work.apply, work.undo)
        change.uuid = uuid
        change.report = work.report
        return change


def describe_step(name, d, store):
    """One line of the actions list."""
    if name == 'purge':
        return 'remove unreadable definition'
    where = store.display(d.parent, d.uuid)
    return {
        'define': 'define in %s' % where,
        'modify': 'rewrite %s' % where,
        'undefine': 'remove %s' % where,
        'start': 'start (create %s on %s%s)' % (d.mdev_type, d.parent,
                                                ', then %d attribute(s)' % len(d.attrs) if d.attrs else ''),
        'stop': 'stop (remove)',
        'live': 'change the running device',
    }[name]


class Work(object):
    """Carries out one device's steps, wrapped in callouts, and undoes them."""

    def __init__(self, planner, uuid, req, before, act, steps, base):
        self.planner = planner
        self.host = planner.host
        self.store = planner.store
        self.callouts = planner.callouts
        self.warnings = planner.warnings
        self.uuid = uuid
        self.req = req
        self.before = before
        self.act = act
        self.steps = steps
        self.base = base
        self.done = []

    def _do(self, name, d):
        store, host = self.store, self.host
        funcs = {
            'define': lambda: store.write(d), 'modify': lambda: store.write(d),
            'undefine': lambda: store.remove(d),
            'start': lambda: _mdev.create(host, d), 'stop': lambda: _mdev.remove(host, d.uuid),
        }
        if name == 'purge':
            self.store.remove_file(d, self.uuid)
            return
        if name == 'live':
            script = self.callouts.supports_live(d)
            if script is not None:
                self.callouts.live(script, d)
            else:
                for attr, value in _mdev.live_writes(host, d.uuid, self.before.attrs, d.attrs):
                    _mdev.write_attr(host, d.uuid, attr, value)
            return
        warning = self.callouts.run(name, d, funcs[name], self.req.force)
        if warning:
            self.warnings.append(warning)

    def apply(self):
        """Run the steps in order; if one fails, undo this device's earlier steps first."""
        for name, d in self.steps:
            try:
                self._do(name, d)
            except VfioError as exc:
                if self.done:
                    names = [n for n, _d in self.done]
                    self.undo()
                    exc.msg += '; undone for this device: %s' % ', '.join(names)
                    exc.args = (exc.msg,)
                raise
            self.done.append((name, d))

    def undo(self):
        """Undo the completed steps, newest first: files back as they were, started devices stopped."""
        for name, d in reversed(self.done):
            if name in ('define', 'modify', 'undefine'):
                if self.before is not None:
                    self.store.write(self.before)
                else:
                    self.store.remove(d)
            elif name == 'start':
                _mdev.remove(self.host, d.uuid)
            elif name == 'stop':
                _mdev.create(self.host, d)
        self.done = []

    def report(self, applied):
        """The per-device result: after applying, read back; in check mode, predicted."""
        if applied:
            store, running = self.planner.readback()
            d = store.get(self.uuid)
            active = running.get(self.uuid)
        else:
            d = self.before
            active = self.act
            for name, target in self.steps:
                if name in ('define', 'modify'):
                    d = target
                elif name == 'undefine':
                    d = None
                elif name == 'start':
                    active = (target.parent, target.mdev_type)
                elif name == 'stop':
                    active = None
        shown = d or next((t for n, t in self.steps if n == 'start'), None)
        known = [(x.parent, x.mdev_type) for x in (d, self.before) if x] + [tuple(x) for x in (active, self.act) if x]
        parent, mtype = known[0] if known else (None, None)
        return OrderedDict([
            ('uuid', self.uuid), ('parent', parent), ('mdev_type', mtype),
            ('start', d.start if d else None),
            ('attrs', attrs_json(shown.attrs) if shown else []),
            ('defined', d is not None), ('active', active is not None),
        ])


def plan_mdevs(host, requests, exclusive=False, validate=True):
    """A plan for many devices; with ``exclusive``, other devices of the named parents go away.

    With ``validate``, the whole system after the change is checked first and a change that
    conflicts with another device or the host is refused (ConflictError lists every conflict).
    """
    planner = MdevPlanner(host)
    try:
        return _plan_all(planner, requests, exclusive, validate)
    finally:
        planner.dirs.close()


def _plan_all(planner, requests, exclusive, validate):
    host = planner.host
    plan = Plan()
    seen = {}
    for req in requests:
        uuid = planner._find_uuid(req)
        if uuid is not None and uuid in seen:
            raise InvalidArgument('mdev %s is listed twice' % uuid, value=uuid, field='devices')
        req.uuid = uuid  # resolved once, so that a generated uuid stays the same through planning
        seen[uuid] = req
    if exclusive:
        # the others go first: stopping them frees instances (a subchannel holds one vfio_ccw device)
        parents = set(r.parent for r in requests if r.parent)
        parents |= set(planner.defined[u].parent for u in seen if u in planner.defined)
        parents |= set(planner.active[u][0] for u in seen if u in planner.active)
        others = set(u for u, d in planner.defined.items() if d.parent in parents)
        others |= set(u for u, (p, t) in planner.active.items() if p in parents)
        for uuid in sorted(others - set(seen)):
            plan.add(planner.plan_device(MdevRequest(uuid=uuid, state='absent')))
    for req in requests:
        if req.uuid is not None:
            plan.add(planner.plan_device(req))
    plan.warnings = planner.warnings
    plan.callouts = planner.callouts
    plan.conflicts = []
    proposed = dict((c.uuid, c.view) for c in plan.changes if c.actions)
    if validate and proposed:
        system = read_system(host, planner.store, planner.active, planner.dirs)
        plan.conflicts = find_conflicts(system, proposed)
        if plan.conflicts:
            raise ConflictError('refused, the change conflicts with the system: ' +
                                '; '.join(c['msg'] for c in plan.conflicts), conflicts=plan.conflicts)
    return plan
