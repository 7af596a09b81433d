"""The plan protocol: one undo rule for every change, checked with changes that record what they do."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import SysfsError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.plan import Change, Plan


def recording(log, key, fail=False, undo_fails=False):
    """A change that logs its apply and undo; it can fail (having undone itself) or fail to be undone."""
    def apply():
        log.append(('apply', key))
        if fail:
            raise SysfsError('%s failed' % key)

    def undo():
        log.append(('undo', key))
        if undo_fails:
            raise SysfsError('cannot undo %s' % key)
    return Change(key, {'state': 'old'}, {'state': 'new'}, ['do %s' % key], apply, undo)


def test_a_failure_undoes_each_earlier_change_once_newest_first_and_never_the_failing_one():
    log = []
    plan = Plan()
    for key in ('a', 'b'):
        plan.add(recording(log, key))
    plan.add(recording(log, 'c', fail=True))
    plan.add(recording(log, 'd'))
    with pytest.raises(SysfsError) as exc:
        plan.apply()
    assert log == [('apply', 'a'), ('apply', 'b'), ('apply', 'c'), ('undo', 'b'), ('undo', 'a')]
    assert exc.value.msg == 'c failed; undone: b, a'
    assert exc.value.extra['undone'] == ['b', 'a']


def test_an_undo_that_fails_is_reported_and_the_others_still_run():
    log = []
    plan = Plan()
    plan.add(recording(log, 'a'))
    plan.add(recording(log, 'b', undo_fails=True))
    plan.add(recording(log, 'c', fail=True))
    with pytest.raises(SysfsError) as exc:
        plan.apply()
    assert log[-2:] == [('undo', 'b'), ('undo', 'a')]
    assert exc.value.extra['undo_failed'] == ['b (cannot undo b)'] and exc.value.extra['undone'] == ['a']
    assert exc.value.args == (exc.value.msg,)


def test_changes_without_actions_are_reported_but_never_applied():
    log = []
    plan = Plan()
    idle = plan.add(Change('x', {'state': 'same'}, {'state': 'same'}, [], lambda: log.append('x')))
    assert not plan.changed and plan.pending == []
    plan.apply()
    assert log == []
    assert plan.report(False) == {'devices': [{'state': 'same', 'changed': False, 'actions': []}]}
    assert idle.result(True)['changed'] is False


def test_only_entries_are_reported_and_diff_covers_pending_changes():
    plan = Plan()
    plan.add(recording([], 'a'))
    plan.add(Change('boot files', {'missing': 'f'}, {'missing': None}, ['install f'], lambda: None, entry=False))
    assert [d['actions'] for d in plan.report(False)['devices']] == [['do a']]
    assert [d['before_header'] for d in plan.diff()] == ['a', 'boot files']
    assert plan.diff()[0]['after'] == 'state: new\n'
