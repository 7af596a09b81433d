#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: cio_ignore
short_description: Free ccw devices from (or add them to) the s390 cio_ignore list
version_added: 0.1.0
description:
  - The kernel does not register a subchannel whose device number is on C(/proc/cio_ignore). This module frees
    devices from the list (C(state=absent)) so that their subchannels appear, waits for the rescan through
    C(/proc/cio_settle), and checks that each subchannel is there; or adds devices to it (C(state=present)).
  - The kernel's list starts from the C(cio_ignore=) kernel parameter at every IPL (often C(cio_ignore=all,!condev)).
    With I(persistent=true) (the default) the module also keeps the devices it frees in
    C(/etc/udev/rules.d/41-vfio-passthrough-cio-ignore.rules), a udev rule that frees them again at boot when the ccw
    bus appears, as C(chzdev)'s C(41-cio-ignore.rules) does. With I(persistent=false) the change lasts until the
    next IPL.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  devices:
    description: Device numbers, such as C(0.0.2c01).
    type: list
    elements: str
    required: true
  state:
    description: C(absent) frees the devices (they are not ignored); C(present) ignores them.
    type: str
    choices: [present, absent]
    default: absent
  persistent:
    description:
      - Make the change hold across IPLs. C(state=absent) adds the devices to the devices the collection's udev rule
        frees at boot (and installs the rule and C(/usr/libexec/vfio-passthrough/free-ccw), the program it runs);
        C(state=present) takes them out of it, and removes the rule when no device is left.
      - A device that C(chzdev)'s own C(41-cio-ignore.rules) frees is still freed at boot; the module warns.
    type: bool
    default: true
extends_documentation_fragment:
  - vfio.passthrough.attributes
  - vfio.passthrough.host
  - vfio.passthrough.host.changing
seealso:
  - module: vfio.passthrough.ccw_info
'''

EXAMPLES = r'''
- name: Make DASD 0.0.2c01 visible now and after every IPL (cio_ignore -r 0.0.2c01, and chzdev's rule)
  vfio.passthrough.cio_ignore:
    devices: [0.0.2c01]

- name: Until the next IPL only (cio_ignore -r 0.0.2c01)
  vfio.passthrough.cio_ignore:
    devices: [0.0.2c01]
    persistent: false
'''

RETURN = r'''
actions:
  description: The writes to /proc/cio_ignore and the boot-time files that were made (or would be made in check mode).
  returned: always
  type: list
  elements: str
  sample: ['free 0.0.2c01 at boot in /etc/udev/rules.d/41-vfio-passthrough-cio-ignore.rules',
           'write "free 0.0.2c01" to /proc/cio_ignore']
subchannels:
  description:
    - Each device number with the subchannel that carries it after the task (null while it has none; in check mode
      a device the run would free has none yet), as M(vfio.passthrough.ccw_info) resolves it.
  returned: always
  type: dict
  sample: {0.0.2c01: 0.0.0315}
freed_at_boot:
  description: The device numbers the collection's udev rule frees at boot after the task.
  returned: always
  type: list
  elements: str
  sample: [0.0.2c01]
devices:
  description: Each device number with C(ignored) or C(free) after the task.
  returned: always
  type: dict
  sample: {0.0.2c01: free}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._ccw.cio_ignore import plan_cio_ignore
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_plan


def main():
    """Plan the cio_ignore change, apply unless in check mode, report it."""
    module = AnsibleModule(
        argument_spec=dict(host_options(), devices=dict(type='list', elements='str', required=True),
                           state=dict(type='str', choices=['present', 'absent'], default='absent'),
                           persistent=dict(type='bool', default=True)),
        supports_check_mode=True,
    )
    p = module.params
    run_plan(module, lambda host, locks: plan_cio_ignore(host, p['devices'], p['state'], p['persistent']))


if __name__ == '__main__':
    main()
