# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one flow every module follows: plan (read only), apply unless check mode, report.

Takes the AnsibleModule duck-typed, so this file imports nothing of Ansible.
"""

import sys
from collections import OrderedDict

from .errors import VfioError
from .host import Host
from .tools import ModuleTools

MIN_PYTHON = (3, 6)


def check_python(module):
    """Fail clearly on a managed host whose Python is older than the collection supports."""
    if sys.version_info[:2] < MIN_PYTHON:
        module.fail_json(msg='vfio.passthrough needs Python %d.%d or later on the managed host; this is Python %s '
                             '(%s): set ansible_python_interpreter to a newer python3 (python3.9, python3.11, ...)'
                             % (MIN_PYTHON + (sys.version.split()[0], sys.executable)))


def host_of(module):
    """The host the task names (``root``), else VFIO_PASSTHROUGH_ROOT, else /; with the module's tools."""
    return Host(module.params.get('root'), ModuleTools(module))


def run_plan(module, plan_fn):
    """``plan_fn(host, locks)`` returns a Plan; apply it unless in check mode and report it.

    Outside check mode, planning and applying happen under the host's locks (the collection's,
    and those the planning asks for through ``locks.need``), so two runs see and change the host
    one after the other.
    """
    run_steps(module, lambda: ([(None, lambda host, locks, reports, predicting: plan_fn(host, locks))],
                               lambda host, reports: reports[None]))


def run_steps(module, prepare):
    """Plan and apply steps one after the other in one run; report what their ``finish`` makes of it.

    ``prepare()`` returns ``(steps, finish)`` (an error there is the task's, like any other).
    ``steps`` are ``(name, step)``; ``step(host, locks, reports, predicting)`` returns the Plan of
    that step, planned after the steps before it were applied (their reports, by name, in
    ``reports``). In check mode nothing is applied, so once a step would change the host the
    later ones are only ``predicting``: a step that needs the earlier changes done returns None
    and its report is None. A step that fails, in planning or applying, has the earlier steps'
    changes undone too (newest first), so an error leaves the host as the run found it. The
    result is ``finish(host, reports)`` with ``changed`` and, in diff mode, every step's diff.
    """
    check_python(module)
    from .lock import HostLocks  # here: the info modules, which take no lock, never load it
    try:
        steps, finish = prepare()
        host = host_of(module)
        timeout = module.params.get('lock_timeout') or 300
        with HostLocks(host, enabled=not module.check_mode, timeout=timeout, waiting=module.warn) as locks:
            run = _StepRun(module.check_mode)
            for name, step in steps:
                run.step(name, lambda predicting, step=step: step(host, locks, run.reports, predicting))
            result = run.guarded(lambda: finish(host, run.reports))  # read back under the lock
        for warning in run.warnings:
            module.warn(warning)
        result['changed'] = run.changed
        if run.changed and getattr(module, '_diff', False):
            result['diff'] = run.diff
    except VfioError as exc:
        module.fail_json(**exc.result())
    module.exit_json(**result)


class _StepRun(object):
    """The state of one run of steps: reports, what was applied (to undo), warnings, diff."""

    def __init__(self, check_mode):
        self.check_mode = check_mode
        self.reports = OrderedDict()
        self.done = []  # the applied changes of the steps so far, in order
        self.changed = False
        self.warnings = []
        self.diff = []

    def step(self, name, plan_fn):
        """Plan one step (``plan_fn(predicting)``), apply it unless in check mode, keep its report."""
        plan = self.guarded(lambda: plan_fn(self.check_mode and self.changed))
        if plan is None:
            self.reports[name] = None
            return
        applied = plan.changed and not self.check_mode
        if applied:
            self.guarded(plan.apply)  # a plan that fails has put back its own changes
            self.done.extend(plan.pending)
        self.warnings.extend(plan.warnings)
        report = self.guarded(lambda: plan.report(applied))
        report['changed'] = plan.changed
        self.reports[name] = report
        if plan.changed:
            self.changed = True
            self.diff.extend(plan.diff())

    def guarded(self, fn):
        """``fn()``; whatever it raises, the changes of the steps applied so far are undone first.

        Not only VfioError: a run that fails for any reason leaves the host as it found it.
        """
        try:
            return fn()
        except Exception as exc:
            from .plan import undo_all  # here: the info modules, which share this file, never load the plan protocol
            undo_all(self.done, exc if isinstance(exc, VfioError) else VfioError(str(exc)))
            self.done = []
            raise


def run_info(module, collect):
    """``collect(host)`` returns the result keys of an info module (never changed)."""
    check_python(module)
    try:
        result = collect(host_of(module))
    except VfioError as exc:
        module.fail_json(**exc.result())
    result['changed'] = False
    module.exit_json(**result)
