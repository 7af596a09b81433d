# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one flow every module follows: plan (read only), apply unless check mode, report.

Takes the AnsibleModule duck-typed, so this file imports nothing of Ansible.
"""

import sys

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
    check_python(module)
    from .lock import HostLocks  # here: the info modules, which take no lock, never load it
    try:
        host = host_of(module)
        timeout = module.params.get('lock_timeout') or 300
        with HostLocks(host, enabled=not module.check_mode, timeout=timeout, waiting=module.warn) as locks:
            plan = plan_fn(host, locks)
            applied = plan.changed and not module.check_mode
            if applied:
                plan.apply()
        for warning in plan.warnings:
            module.warn(warning)
        result = plan.report(applied)
        result['changed'] = plan.changed
        if plan.changed and getattr(module, '_diff', False):
            result['diff'] = plan.diff()
    except VfioError as exc:
        module.fail_json(**exc.result())
    module.exit_json(**result)


def run_info(module, collect):
    """``collect(host)`` returns the result keys of an info module (never changed)."""
    check_python(module)
    try:
        result = collect(host_of(module))
    except VfioError as exc:
        module.fail_json(**exc.result())
    result['changed'] = False
    module.exit_json(**result)
