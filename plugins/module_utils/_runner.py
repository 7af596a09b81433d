# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one flow every module follows: plan (read only), apply unless check mode, report.

Takes the AnsibleModule duck-typed, so this file imports nothing of Ansible.
"""

import contextlib
import os

from ._errors import VfioError
from ._lock import HostLocks
from ._paths import Host


def run_plan(module, build, ap=None):
    """``build(host)`` returns ``(plan, report)``; ``report(plan)`` the result keys.

    Outside check mode, planning and applying happen under the host's locks, so two runs see
    and change the host one after the other. ``ap`` also takes s390-tools' AP lock (None: when
    the host has an AP bus).
    """
    try:
        host = Host()
        if ap is None:
            ap = os.path.isdir(host.bus('ap'))
        locks = contextlib.ExitStack() if module.check_mode else HostLocks(host, ap=ap)
        with locks:
            plan, report = build(host)
            if plan.changed and not module.check_mode:
                plan.apply()
        result = report(plan)
        result['changed'] = plan.changed
        if plan.changed and getattr(module, '_diff', False):
            result['diff'] = plan.diff()
    except VfioError as exc:
        module.fail_json(**exc.result())
    module.exit_json(**result)


def run_info(module, collect):
    """``collect(host)`` returns the result keys of an info module (never changed)."""
    try:
        result = collect(Host())
    except VfioError as exc:
        module.fail_json(**exc.result())
    result['changed'] = False
    module.exit_json(**result)
