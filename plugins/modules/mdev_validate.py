#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mdev_validate
short_description: Report every conflict between the mediated devices of a host
version_added: 0.1.0
description:
  - Looks at the whole system (active devices, definitions in C(/etc/mdevctl.d), the AP masks and limits,
    the instances each parent holds) and reports every conflict, each with a message that names both parties.
  - An APQN (adapter, domain) assigned to two vfio-ap devices that can run at the same time (active or autostart),
    an APQN reserved for the host by C(/sys/bus/ap/apmask) and C(aqmask), an adapter or domain above the host's
    maximum (C(ap_max_adapter_id), C(ap_max_domain_id)), control domains without a usage domain, and more devices
    of a type that can run than the parent holds (a second vfio-ccw device on one subchannel).
  - mdevctl checks none of this before a device starts; M(vfio.passthrough.mdev) runs the same checks before
    every change.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  fail_on_conflict:
    description: Fail the task when there is a conflict (so a play stops on an unclean host).
    type: bool
    default: false
extends_documentation_fragment:
  - vfio.passthrough.attributes.info_module
seealso:
  - module: vfio.passthrough.mdev
'''

EXAMPLES = r'''
- name: Is every host of the fleet clean?
  vfio.passthrough.mdev_validate:
    fail_on_conflict: true

- name: Report, then decide
  vfio.passthrough.mdev_validate:
  register: check
- ansible.builtin.debug:
    msg: "{{ check.conflicts | map(attribute='msg') | list }}"
  when: not check.valid
'''

RETURN = r'''
valid:
  description: True when there is no conflict.
  returned: always
  type: bool
conflicts:
  description: Every conflict found.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: C(apqn_in_use), C(reserved_for_host), C(above_maximum), C(control_without_usage) or C(no_instances).
      type: str
      sample: apqn_in_use
    msg:
      description: What is wrong, naming the devices involved.
      type: str
      sample: APQN 05.0004 is assigned to both mdev 669d9b23-... (active) and mdev 5ea6c8d9-... (autostart), which can
        run at the same time
    devices:
      description: The UUIDs of the devices involved.
      type: list
      elements: str
    apqns:
      description: The APQNs concerned, for AP conflicts.
      type: list
      elements: str
      returned: for AP conflicts
      sample: [05.0004]
devices_checked:
  description: How many mediated devices (active or defined) were looked at.
  returned: always
  type: int
  sample: 3
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_info
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.conflicts import find_conflicts, read_system


def main():
    """Read the whole system and report its conflicts."""
    module = AnsibleModule(argument_spec=dict(fail_on_conflict=dict(type='bool', default=False)),
                           supports_check_mode=True)

    def collect(host):
        system = read_system(host)
        conflicts = find_conflicts(system)
        result = {'valid': not conflicts, 'conflicts': conflicts, 'devices_checked': len(system.devices)}
        if conflicts and module.params['fail_on_conflict']:
            module.fail_json(msg='%d conflict(s): %s' % (len(conflicts), '; '.join(c['msg'] for c in conflicts)),
                             **result)
        return result

    run_info(module, collect)


if __name__ == '__main__':
    main()
