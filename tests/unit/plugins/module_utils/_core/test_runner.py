"""The runner: plan under the host lock, apply unless in check mode, report with warnings and diff."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import AP_LOCK
from ansible_collections.vfio.passthrough.plugins.module_utils._core.plan import Change, Plan
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_info, run_plan


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
