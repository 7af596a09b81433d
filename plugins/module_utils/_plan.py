# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan, then apply: planning only reads; applying undoes completed changes if a later one fails."""

from ._errors import VfioError


def render(state):
    """A state mapping as diff text, one ``key: value`` a line."""
    return ''.join('%s: %s\n' % (k, '(none)' if v is None else v) for k, v in state.items())


class Change(object):
    """One object's change: its state before and after, the steps, how to do and undo it."""

    def __init__(self, key, before, after, actions, apply, undo=None):
        self.key = key
        self.before = before
        self.after = after
        self.actions = actions
        self._apply = apply
        self._undo = undo

    def apply(self):
        """Carry the change out."""
        self._apply()

    def undo(self):
        """Put the object back as it was, where that is possible."""
        if self._undo is not None:
            self._undo()


class Plan(object):
    """The ordered changes one module run makes."""

    def __init__(self):
        self.changes = []

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
        """Apply every pending change; on failure undo the completed ones, newest first, and re-raise."""
        done = []
        for change in self.pending:
            try:
                change.apply()
            except VfioError as exc:
                undone, failed = [], []
                try:
                    change.undo()  # a change that failed half-way puts back what it did
                except VfioError as undo_exc:
                    failed.append('%s (%s)' % (change.key, undo_exc.msg))
                for prev in reversed(done):
                    try:
                        prev.undo()
                        undone.append(prev.key)
                    except VfioError as undo_exc:
                        failed.append('%s (%s)' % (prev.key, undo_exc.msg))
                if undone:
                    exc.msg += '; undone: %s' % ', '.join(undone)
                    exc.extra['undone'] = undone
                if failed:
                    exc.msg += '; could not undo: %s' % ', '.join(failed)
                    exc.extra['undo_failed'] = failed
                exc.args = (exc.msg,)
                raise
            done.append(change)

    def diff(self):
        """Ansible diff entries, one per pending change."""
        return [{'before_header': c.key, 'after_header': c.key,
                 'before': render(c.before), 'after': render(c.after)} for c in self.pending]
