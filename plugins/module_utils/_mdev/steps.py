# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carrying out one device's steps, wrapped in mdevctl's callouts, and undoing them."""

from collections import OrderedDict

from .._ap.matrix import is_ap, matrix_writes, read_matrix, wanted_matrix
from .._core.errors import SysfsError, VfioError
from .._core.plan import Change
from . import sysfs as _mdev
from .config import attrs_json
from .state import predict


NEW_UUID = '<new uuid>'  # how actions name a uuid that is generated only when the change is applied


def describe_step(name, d, store, generated=False):
    """One line of the actions list (the same in check mode and in the run: a new uuid is not named)."""
    if name == 'purge':
        return 'remove unreadable definition'
    where = store.display(d.parent, NEW_UUID if generated else d.uuid)
    return {
        'define': 'define in %s' % where,
        'modify': 'rewrite %s' % where,
        'undefine': 'remove %s' % where,
        'start': 'start (create %s on %s%s)' % (d.mdev_type, d.parent,
                                                ', then %d attribute(s)' % len(d.attrs) if d.attrs else ''),
        'stop': 'stop (remove)',
        'live': 'change the running device',
        'release': 'release what the running device gives up (unassign first)',
    }[name]


def live_writes(host, uuid, old_attrs, new_attrs, release=False):
    """The writes that take a running device from ``old_attrs`` to ``new_attrs``: [(name, value)].

    For vfio_ap the running matrix is read and compared with what the new attrs assign (with
    ``release``, only the ``unassign_*`` writes); otherwise attributes that are new in the list
    are written in order.
    """
    current = read_matrix(host, uuid)
    if current is not None:
        writes = matrix_writes(current, wanted_matrix(new_attrs))
        return [w for w in writes if w[0].startswith('unassign_')] if release else writes
    if release:
        return []
    old = list(old_attrs or [])
    return [a for a in new_attrs if a not in old]


def restore_matrix(host, uuid, saved):
    """Write a running vfio_ap device back to ``saved`` (unassign first), and check it reads back so."""
    for attr, value in matrix_writes(read_matrix(host, uuid), saved):
        _mdev.write_attr(host, uuid, attr, value)
    now = read_matrix(host, uuid)
    if now != saved:
        raise SysfsError('mdev %s: its matrix reads %s after being put back, not %s' % (uuid, now, saved),
                         path=host.display(_mdev.device_path(host, uuid, 'matrix')))


def recreate(host, d):
    """Start a device that was stopped again, with its former attrs, and check a vfio_ap matrix reads back so."""
    _mdev.create(host, d)
    if is_ap(d.mdev_type):
        now, wanted = read_matrix(host, d.uuid), wanted_matrix(d.attrs)
        if now != wanted:
            raise SysfsError('mdev %s was started again but its matrix reads %s, not %s' % (d.uuid, now, wanted),
                             path=host.display(_mdev.device_path(host, d.uuid, 'matrix')))


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
        self.saved = {}  # step name -> the vfio_ap matrix before a live change, for its undo

    def _do(self, name, d):
        store, host = self.store, self.host
        if name == 'purge':
            store.remove_file(d, self.uuid)
            return
        if name in ('live', 'release'):
            self._live(name, d)
            return
        funcs = {
            'define': lambda: store.write(d), 'modify': lambda: store.write(d),
            'undefine': lambda: store.remove(d),
            'start': lambda: _mdev.create(host, d), 'stop': lambda: _mdev.remove(host, d.uuid),
        }
        warning = self.callouts.run(name, d, funcs[name], self.force)
        if warning:
            self.warnings.append(warning)

    def _live(self, name, d):
        """Change the running device: by a callout that declares live changes, else by writing attributes.

        A vfio_ap device's matrix is saved first; if a write fails, the device is put back to it
        before the error is raised (and an undo later puts it back the same way).
        """
        script = self.callouts.supports_live(d)
        if script is not None:
            if name == 'live':  # the script carries out the whole change, the release included
                self.callouts.live(script, d)
            return
        saved = read_matrix(self.host, d.uuid)
        if saved is not None:
            self.saved[name] = saved
        try:
            for attr, value in live_writes(self.host, d.uuid, self.before.attrs if self.before else None, d.attrs,
                                           release=name == 'release'):
                _mdev.write_attr(self.host, d.uuid, attr, value)
        except VfioError as exc:
            if saved is not None:
                try:
                    restore_matrix(self.host, d.uuid, saved)
                    exc.add_note('the running device was put back as it was')
                except VfioError as again:
                    exc.add_note('putting the running device back failed too: %s' % again.msg)
            raise

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
                recreate(self.host, d)
            elif name in self.saved:
                restore_matrix(self.host, d.uuid, self.saved.pop(name))
        self.done = []


class MdevChange(Change):
    """One mdev's change: what Change has, plus the uuid, the parent and the device as validation sees it after.

    A definition is one parent's: ``parent`` says which (None when neither the request nor the
    host names one), and only a device running under that parent is this change's.
    """

    def __init__(self, plan, uuid, before, running, want_def, want_running, work, view, generated=False, parent=None):
        super(MdevChange, self).__init__(
            NEW_UUID if generated else uuid, _state(before, running), _state(want_def, want_running),
            [describe_step(name, d, work.store, generated) for name, d in work.steps], work.apply, work.undo)
        self.uuid = uuid
        self.parent = parent
        self.generated = generated
        self.view = view  # a conflicts.DeviceView, or None when the device neither runs nor is defined after
        self._plan = plan
        self._work = work
        self._before = before
        self._running = running

    def _mine(self, active):
        """The running device ``(parent, type)`` if it runs under this change's parent."""
        return active if active and self.parent in (None, active[0]) else None

    def describe(self, applied):
        """The device after the task: read back once applied, predicted from the steps in check mode."""
        if applied:
            store, running = self._plan.readback()
            d = store.get(self.uuid, self.parent) if self.parent is not None else None
            active = self._mine(running.get(self.uuid))
        else:
            d, active = predict(self._before, self._running, self._work.steps)
        shown = d or next((t for n, t in self._work.steps if n == 'start'), None)
        known = [(x.parent, x.mdev_type) for x in (d, self._before) if x] + \
            [tuple(x) for x in (active, self._running) if x]
        parent, mtype = known[0] if known else (self.parent, None)
        return OrderedDict([
            # check mode does not preview a random uuid that the run would not use
            ('uuid', None if self.generated and not applied else self.uuid), ('parent', parent), ('mdev_type', mtype),
            ('start', d.start if d else None),
            ('attrs', attrs_json(shown.attrs) if shown else []),
            ('defined', d is not None), ('active', active is not None),
        ])


def _state(definition, running):
    """The state of one device for diffs."""
    return OrderedDict([('definition', definition.text() if definition else None),
                        ('active', 'yes' if running else 'no')])
