# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan protocol every changing module follows: plan (read only), apply, undo, report.

The undo rule, the same for every feature:

- ``Change.apply`` either completes or raises having left nothing of itself behind: a change
  that fails half-way puts back what it did itself, before it raises.
- ``Change.undo`` puts back a change that completed.
- ``Plan.apply`` therefore undoes only the changes before the one that failed, newest first,
  each exactly once, and notes on the error what was undone and what could not be.
"""

from collections import OrderedDict

from .errors import VfioError


def render(state):
    """A state mapping as diff text, one ``key: value`` a line."""
    return ''.join('%s: %s\n' % (k, '(none)' if v is None else v) for k, v in state.items())


class Change(object):
    """One object's change: its state before and after, the actions, how to do and undo it.

    ``entry`` is False for changes that are not reported as a device of their own (the files
    that apply overrides at boot, say); ``describe(applied)``, when given, builds the reported
    entry (read back after applying) instead of the predicted ``after``.
    """

    def __init__(self, key, before, after, actions, apply, undo=None, describe=None, entry=True):
        self.key = key
        self.before = before
        self.after = after
        self.actions = actions
        self._apply = apply
        self._undo = undo
        self._describe = describe
        self.entry = entry

    def apply(self):
        """Carry the change out; on failure it has left nothing of itself behind."""
        self._apply()

    def undo(self):
        """Put back a change that completed, where that is possible."""
        if self._undo is not None:
            self._undo()

    def describe(self, applied):
        """The object's state for the report: read back after applying, else predicted (``after``)."""
        return self._describe(applied) if self._describe else OrderedDict(self.after)

    def result(self, applied):
        """The entry a module reports for this change: its state, ``changed`` and ``actions``."""
        out = self.describe(applied)
        out['changed'] = bool(self.actions)
        out['actions'] = list(self.actions)
        return out


class Plan(object):
    """The ordered changes one module run makes, the warnings planning found, and the report."""

    def __init__(self):
        self.changes = []
        self.warnings = []

    def add(self, change):
        """Add a change; one without actions is kept for the report but never applied."""
        self.changes.append(change)
        return change

    @property
    def pending(self):
        """The changes that have something to do."""
        return [c for c in self.changes if c.actions]

    @property
    def changed(self):
        """True if applying would change anything."""
        return bool(self.pending)

    def apply(self):
        """Apply every pending change; on failure undo the ones before it, newest first, and re-raise."""
        done = []
        for change in self.pending:
            try:
                change.apply()
            except VfioError as exc:
                undo_all(done, exc)
                raise
            done.append(change)

    def report(self, applied):
        """The module's result keys (``changed`` and ``diff`` are the runner's): one entry per device."""
        return {'devices': [c.result(applied) for c in self.changes if c.entry]}

    def diff(self):
        """Ansible diff entries, one per pending change."""
        return [{'before_header': c.key, 'after_header': c.key,
                 'before': render(c.before), 'after': render(c.after)} for c in self.pending]


def undo_all(done, exc):
    """Undo ``done`` newest first, each once; note on ``exc`` what was undone and what was not."""
    undone, failed = [], []
    for prev in reversed(done):
        try:
            prev.undo()
            undone.append(prev.key)
        except VfioError as undo_exc:
            failed.append('%s (%s)' % (prev.key, undo_exc.msg))
    # a run of several plans undoes the earlier plans' changes after the failing plan undid its own:
    # the lists grow, in the order things were undone
    if undone:
        exc.add_note('undone: %s' % ', '.join(undone))
        exc.extra['undone'] = exc.extra.get('undone', []) + undone
    if failed:
        exc.add_note('could not undo: %s' % ', '.join(failed))
        exc.extra['undo_failed'] = exc.extra.get('undo_failed', []) + failed
