# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carrying out one device's steps, wrapped in mdevctl's callouts, and undoing them."""

from collections import OrderedDict

from .._ap.matrix import matrix_writes, read_matrix, wanted_matrix
from .._core.errors import VfioError
from .._core.plan import Change
from . import sysfs as _mdev
from .config import attrs_json
from .state import predict


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


def live_writes(host, uuid, old_attrs, new_attrs):
    """The writes that take a running device from ``old_attrs`` to ``new_attrs``: [(name, value)].

    For vfio_ap the running matrix is read and compared with what the new attrs assign;
    otherwise attributes that are new in the list are written in order.
    """
    current = read_matrix(host, uuid)
    if current is not None:
        return matrix_writes(current, wanted_matrix(new_attrs))
    old = list(old_attrs)
    return [a for a in new_attrs if a not in old]


class DeviceSteps(object):
    """One device's steps: run in order under callouts; on failure this device's earlier steps are undone."""

    def __init__(self, snapshot, uuid, force, before, steps, warnings):
        self.host = snapshot.host
        self.store = snapshot.store
        self.callouts = snapshot.callouts
        self.warnings = warnings
        self.uuid = uuid
        self.force = force
        self.before = before
        self.steps = steps
        self.done = []

    def _do(self, name, d):
        store, host = self.store, self.host
        if name == 'purge':
            store.remove_file(d, self.uuid)
            return
        if name == 'live':
            script = self.callouts.supports_live(d)
            if script is not None:
                self.callouts.live(script, d)
            else:
                for attr, value in live_writes(host, d.uuid, self.before.attrs, d.attrs):
                    _mdev.write_attr(host, d.uuid, attr, value)
            return
        funcs = {
            'define': lambda: store.write(d), 'modify': lambda: store.write(d),
            'undefine': lambda: store.remove(d),
            'start': lambda: _mdev.create(host, d), 'stop': lambda: _mdev.remove(host, d.uuid),
        }
        warning = self.callouts.run(name, d, funcs[name], self.force)
        if warning:
            self.warnings.append(warning)

    def apply(self):
        """Run the steps in order; if one fails, undo this device's earlier steps before raising."""
        for name, d in self.steps:
            try:
                self._do(name, d)
            except VfioError as exc:
                if self.done:
                    names = [n for n, _d in self.done]
                    self.undo()
                    exc.add_note('undone for this device: %s' % ', '.join(names))
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


class MdevChange(Change):
    """One mdev's change: what Change has, plus the uuid and the device as validation sees it after."""

    def __init__(self, plan, uuid, before, running, want_def, want_running, work, view):
        super(MdevChange, self).__init__(
            uuid, _state(before, running), _state(want_def, want_running),
            [describe_step(name, d, work.store) for name, d in work.steps], work.apply, work.undo)
        self.uuid = uuid
        self.view = view  # a conflicts.DeviceView, or None when the device neither runs nor is defined after
        self._plan = plan
        self._work = work
        self._before = before
        self._running = running

    def describe(self, applied):
        """The device after the task: read back once applied, predicted from the steps in check mode."""
        if applied:
            store, running = self._plan.readback()
            d = store.get(self.uuid)
            active = running.get(self.uuid)
        else:
            d, active = predict(self._before, self._running, self._work.steps)
        shown = d or next((t for n, t in self._work.steps if n == 'start'), None)
        known = [(x.parent, x.mdev_type) for x in (d, self._before) if x] + \
            [tuple(x) for x in (active, self._running) if x]
        parent, mtype = known[0] if known else (None, None)
        return OrderedDict([
            ('uuid', self.uuid), ('parent', parent), ('mdev_type', mtype),
            ('start', d.start if d else None),
            ('attrs', attrs_json(shown.attrs) if shown else []),
            ('defined', d is not None), ('active', active is not None),
        ])


def _state(definition, running):
    """The state of one device for diffs."""
    return OrderedDict([('definition', definition.text() if definition else None),
                        ('active', 'yes' if running else 'no')])
