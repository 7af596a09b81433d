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
  - A definition file the collection cannot read (invalid or too deeply nested JSON, not UTF-8, a symbolic link,
    a directory whose name is not UTF-8) may still be read and autostarted by mdevctl, so it cannot be checked. Such
    files are counted in C(unknown) and listed in C(problems), and the host is then not C(valid); C(valid) is
    true only when there is no conflict and no unknown definition.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  fail_on_conflict:
    description:
      - Fail the task when the host is not C(valid) (so a play stops on an unclean host), that is when there is a
        conflict or a definition that cannot be checked (C(unknown)).
    type: bool
    default: false
extends_documentation_fragment:
  - vfio.passthrough.attributes.info_module
  - vfio.passthrough.host
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

- name: Definitions that could not be checked (fix or remove each file)
  ansible.builtin.debug:
    msg: "{{ check.problems | map(attribute='msg') | list }}"
  when: check.unknown > 0
'''

RETURN = r'''
valid:
  description:
    - True when there is no conflict and no unknown definition (C(unknown) is 0). A definition that cannot be
      read is never counted as valid.
  returned: always
  type: bool
conflicts:
  description: Every conflict found.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description:
        - C(apqn_in_use), C(reserved_for_host), C(above_maximum), C(control_without_usage), C(no_instances) or
          C(not_reserved_at_boot).
        - C(not_reserved_at_boot) - an C(auto) vfio-ap device claims APQNs that the masks the host boots with (the
          C(41-ap.rules) that M(vfio.passthrough.ap_masks) or C(chzdev) write, else the kernel parameters
          C(ap.apmask)/C(ap.aqmask), else the kernel's default) leave to the host, so s390-tools' ap-check would
          refuse to start it at boot.
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
unknown:
  description:
    - How many definition files (or directories of them) could not be read, and so could not be checked. mdevctl
      may still read and autostart what they define.
  returned: always
  type: int
  sample: 0
problems:
  description:
    - The definition files counted in C(unknown), as M(vfio.passthrough.mdev_info) reports them in its own
      C(problems) - C(uuid) (null for a directory that cannot be listed), C(parent), C(path) (as on the host,
      bytes that are not UTF-8 shown as C(\xNN)) and C(msg), why it cannot be read, naming the path.
  returned: always
  type: list
  elements: dict
  sample: [{uuid: 7e270a25-e163-4922-af60-757fc8ed48c6, parent: 0.0.0313,
            path: /etc/mdevctl.d/0.0.0313/7e270a25-e163-4922-af60-757fc8ed48c6,
            msg: "/etc/mdevctl.d/0.0.0313/7e270a25-e163-4922-af60-757fc8ed48c6 is not a regular file; it is left alone"}]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_info
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.conflicts import check_host


def failure(conflicts, unknown):
    """The message of fail_on_conflict: every conflict, then every definition that could not be checked."""
    parts = []
    if conflicts:
        parts.append('%d conflict(s): %s' % (len(conflicts), '; '.join(c['msg'] for c in conflicts)))
    if unknown:
        parts.append('%d definition(s) that cannot be checked: %s' % (len(unknown),
                                                                      '; '.join(p['msg'] for p in unknown)))
    return '; '.join(parts)


def main():
    """Read the whole system and report its conflicts and the definitions it could not check."""
    module = AnsibleModule(argument_spec=dict(host_options(changing=False),
                                              fail_on_conflict=dict(type='bool', default=False)),
                           supports_check_mode=True)

    def collect(host):
        system, conflicts, unknown = check_host(host)
        result = {'valid': not conflicts and not unknown, 'conflicts': conflicts, 'unknown': len(unknown),
                  'problems': unknown, 'devices_checked': len(system.devices)}
        if not result['valid'] and module.params['fail_on_conflict']:
            module.fail_json(msg=failure(conflicts, unknown), **result)
        return result

    run_info(module, collect)


if __name__ == '__main__':
    main()
