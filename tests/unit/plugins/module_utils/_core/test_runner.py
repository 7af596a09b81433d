"""The runner: plan under the host lock, apply unless in check mode, report with warnings and diff."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import AP_LOCK
from ansible_collections.vfio.passthrough.plugins.module_utils._core.plan import Change, Plan
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_info, run_plan, run_steps


class Done(Exception):
    """exit_json or fail_json was called."""


class FakeModule(object):
    """What the runner uses of AnsibleModule."""

    def __init__(self, check_mode=False, diff=False, params=None):
        self.check_mode = check_mode
        self._diff = diff
        self.params = params or {}
        self.warnings = []
        self.result = None

    def warn(self, text):
        self.warnings.append(text)

    def exit_json(self, **result):
        self.result = result
        raise Done()

    def fail_json(self, **result):
        self.result = dict(result, failed=True)
        raise Done()


def one_change_plan(applied, held, root):
    def plan_fn(host, locks):
        locks.need(AP_LOCK)
        held.extend(sorted(os.listdir(os.path.join(root, 'run', 'lock'))) if locks.enabled else [])
        plan = Plan()
        plan.warnings.append('careful')
        plan.add(Change('a', {'v': 1}, {'v': 2}, ['set v'], lambda: applied.append('a')))
        return plan
    return plan_fn


@pytest.mark.parametrize('check_mode', [False, True])
def test_plan_apply_report(tmp_path, monkeypatch, check_mode):
    monkeypatch.setenv('VFIO_PASSTHROUGH_ROOT', str(tmp_path))
    applied, held = [], []
    module = FakeModule(check_mode=check_mode, diff=True)
    with pytest.raises(Done):
        run_plan(module, one_change_plan(applied, held, str(tmp_path)))
    assert module.result['changed'] is True and module.result['diff'][0]['after'] == 'v: 2\n'
    assert module.warnings == ['careful']
    assert applied == ([] if check_mode else ['a'])
    assert held == ([] if check_mode else ['s390apconfig.lock', 'vfio-passthrough.lock'])
    if not check_mode:  # released: the AP lock file goes, the flock file stays empty
        assert os.listdir(str(tmp_path / 'run' / 'lock')) == ['vfio-passthrough.lock']
        assert (tmp_path / 'run' / 'lock' / 'vfio-passthrough.lock').read_text() == ''


def test_errors_become_fail_json(tmp_path, monkeypatch):
    monkeypatch.setenv('VFIO_PASSTHROUGH_ROOT', str(tmp_path))

    def plan_fn(host, locks):
        raise InvalidArgument('bad device', value='x', field='device')
    module = FakeModule()
    with pytest.raises(Done):
        run_plan(module, plan_fn)
    assert module.result == {'msg': 'bad device', 'value': 'x', 'field': 'device', 'failed': True}
    with pytest.raises(Done):
        run_info(module, lambda host: {'n': 1})
    assert module.result == {'n': 1, 'changed': False}


def test_a_run_directory_that_cannot_be_written_is_a_clear_failure(tmp_path, monkeypatch):
    monkeypatch.setenv('VFIO_PASSTHROUGH_ROOT', str(tmp_path))
    (tmp_path / 'run').write_text('not a directory')  # as a full or read-only /run fails: no traceback
    module = FakeModule()
    with pytest.raises(Done):
        run_plan(module, one_change_plan([], [], str(tmp_path)))
    assert module.result['failed'] and module.result['msg'].startswith(
        'cannot take the lock /run/lock/vfio-passthrough.lock: ')
    assert module.result['errno'] in ('ENOTDIR', 'EEXIST')


def test_the_root_option_comes_before_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv('VFIO_PASSTHROUGH_ROOT', str(tmp_path / 'from-env'))
    seen = []
    module = FakeModule(params={'root': str(tmp_path / 'from-task')})
    with pytest.raises(Done):
        run_info(module, lambda host: seen.append(host.root) or {})
    assert seen == [str(tmp_path / 'from-task')]
    with pytest.raises(Done):
        run_info(FakeModule(), lambda host: seen.append(host.root) or {})
    assert seen[-1] == str(tmp_path / 'from-env')


def test_an_old_python_fails_with_a_clear_message(monkeypatch):
    import sys
    from ansible_collections.vfio.passthrough.plugins.module_utils._core import runner
    monkeypatch.setattr(runner, 'MIN_PYTHON', (sys.version_info[0] + 1, 0))
    module = FakeModule()
    with pytest.raises(Done):
        run_info(module, lambda host: {})
    assert module.result['failed'] and 'needs Python %d.0 or later' % (sys.version_info[0] + 1) in module.result['msg']


def step_of(name, log, fail_apply=False, fail_plan=False, needs_earlier=False):
    """A step whose one change appends to ``log`` when applied and when undone."""
    def step(host, locks, reports, predicting):
        log.append('plan %s (after %s%s)' % (name, ','.join(str(k) for k in reports), ', predicting' if predicting else ''))
        if fail_plan:
            raise InvalidArgument('%s refused' % name)
        if needs_earlier and predicting:
            return None

        def apply():
            if fail_apply:
                raise InvalidArgument('%s failed' % name)
            log.append('apply ' + name)
        plan = Plan()
        plan.add(Change(name, {'v': 0}, {'v': 1}, ['set ' + name], apply, lambda: log.append('undo ' + name)))
        return plan
    return name, step


def run_step_list(tmp_path, monkeypatch, steps, check_mode=False):
    monkeypatch.setenv('VFIO_PASSTHROUGH_ROOT', str(tmp_path))
    module = FakeModule(check_mode=check_mode, diff=True)
    with pytest.raises(Done):
        run_steps(module, lambda: (steps, lambda host, reports: {'steps': dict(reports)}))
    return module.result


def test_steps_are_planned_each_after_the_one_before_is_applied(tmp_path, monkeypatch):
    log = []
    result = run_step_list(tmp_path, monkeypatch, [step_of('a', log), step_of('b', log)])
    assert log == ['plan a (after )', 'apply a', 'plan b (after a)', 'apply b']
    assert result['changed'] is True and [d['before_header'] for d in result['diff']] == ['a', 'b']
    assert result['steps']['a']['changed'] and result['steps']['b']['devices'][0]['actions'] == ['set b']


@pytest.mark.parametrize('failing', ['fail_apply', 'fail_plan'])
def test_a_failing_step_undoes_the_steps_before_it_newest_first(tmp_path, monkeypatch, failing):
    log = []
    result = run_step_list(tmp_path, monkeypatch,
                           [step_of('a', log), step_of('b', log), step_of('c', log, **{failing: True})])
    assert result['failed'] and result['msg'].startswith('c ')
    assert log[-2:] == ['undo b', 'undo a'] and result['undone'] == ['b', 'a']
    assert 'undone: b, a' in result['msg']


def test_check_mode_applies_nothing_and_later_steps_only_predict(tmp_path, monkeypatch):
    log = []
    result = run_step_list(tmp_path, monkeypatch, [step_of('a', log), step_of('b', log, needs_earlier=True),
                                                   step_of('c', log)], check_mode=True)
    assert log == ['plan a (after )', 'plan b (after a, predicting)', 'plan c (after a,b, predicting)']
    assert result['changed'] is True and result['steps']['b'] is None and result['steps']['c']['changed']


def test_any_error_after_steps_were_applied_undoes_them(tmp_path, monkeypatch):
    log = []

    def finish(host, reports):
        raise RuntimeError('reading back failed')
    monkeypatch.setenv('VFIO_PASSTHROUGH_ROOT', str(tmp_path))
    with pytest.raises(RuntimeError):
        run_steps(FakeModule(), lambda: ([step_of('a', log), step_of('b', log)], finish))
    assert log[-2:] == ['undo b', 'undo a']
