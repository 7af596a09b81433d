#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: ap_passthrough
short_description: Hand AP matrices (crypto adapters and domains) to guests in one task - masks, mdevs, validation
version_added: 0.2.0
description:
  - Does in one module run what M(vfio.passthrough.ap_masks), M(vfio.passthrough.mdev) and
    M(vfio.passthrough.mdev_validate) do one after the other, and what the C(vfio.passthrough.vfio_ap) role runs (the
    role calls this module).
  - Gives the adapters and usage domains of every matrix to C(vfio_ap) through C(apmask) and C(aqmask), persistently
    (C(chzdev --type ap), C(/etc/udev/rules.d/41-ap.rules)), loading C(vfio_ap) if needed; then defines and starts one
    C(vfio_ap-passthrough) mediated device per matrix on the C(matrix) parent, validated against the whole system
    first (C(mdevctl define -a), C(mdevctl modify), C(mdevctl start)); then checks the whole host and reports what it
    found (I(validation)), as M(vfio.passthrough.mdev_validate) does.
  - Each step is planned after the one before it is applied. The steps refuse what the single modules refuse (taking
    a queue from a running guest or the host's autostart devices, an APQN in two matrices), before they write.
  - If a step fails, the changes of the steps before it are undone as well (the masks given back), newest first, so
    that the host is left as the task found it; the error lists what was undone.
  - In check mode nothing is applied. When the masks would change, the devices are predicted without the
    whole-system check, which would still see the queues as the host's.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  devices:
    description:
      - The guests' matrices, one mdev each. An empty list changes nothing and only checks the host.
    type: list
    elements: dict
    required: true
    suboptions:
      uuid:
        description: The mdev's uuid (give it - it names the device for the guest); without it a new device gets a
          random one.
        type: str
      adapters:
        description: Adapter numbers (integers, or strings such as C('0x05')).
        type: list
        elements: raw
      domains:
        description: Usage domains.
        type: list
        elements: raw
      control_domains:
        description: Control domains (not taken from the host; a usage domain is a control domain too).
        type: list
        elements: raw
      autostart:
        description: Start the device at boot (mdevctl's C(auto)); C(false) defines it C(manual).
        type: bool
        default: true
  exclusive_masks:
    description: Give C(vfio_ap) only the adapters and domains of I(devices); every other queue goes back to the host.
    type: bool
    default: false
  live:
    description: Change running devices whose matrix changed (hot-plug into a running guest), as M(vfio.passthrough.mdev)'s
      I(live).
    type: bool
    default: false
extends_documentation_fragment:
  - vfio.passthrough.attributes
  - vfio.passthrough.host
  - vfio.passthrough.host.changing
seealso:
  - module: vfio.passthrough.ap_masks
  - module: vfio.passthrough.mdev
  - module: vfio.passthrough.mdev_validate
'''

EXAMPLES = r'''
- name: Two guests' crypto matrices
  vfio.passthrough.ap_passthrough:
    devices:
      - uuid: 669d9b23-fe1b-4ecb-be08-a2fabca99b71
        adapters: [5]
        domains: [4, '0xab']
        control_domains: [4]
      - adapters: [6]
        domains: ['0x10']
        autostart: false
  register: ap

- name: Conflicts elsewhere on the host
  ansible.builtin.debug:
    msg: "{{ ap.validation.conflicts | map(attribute='msg') | list }}"
  when: not ap.validation.valid
'''

RETURN = r'''
devices:
  description: Each matrix device as M(vfio.passthrough.mdev) reports it (uuid, parent, mdev_type, attrs, active, ...).
  returned: always
  type: list
  elements: dict
  sample: [{uuid: 669d9b23-fe1b-4ecb-be08-a2fabca99b71, parent: matrix, mdev_type: vfio_ap-passthrough, active: true,
            changed: false, actions: []}]
validation:
  description: The whole host checked after the task, as M(vfio.passthrough.mdev_validate) reports it.
  returned: always
  type: dict
  contains:
    valid:
      description: True when no conflict was found and every definition could be read.
      type: bool
    conflicts:
      description: The conflicts, each with C(kind), C(msg) and C(devices), as M(vfio.passthrough.mdev_validate)'s.
      type: list
      elements: dict
    problems:
      description: Definition files that could not be read.
      type: list
      elements: dict
    devices_checked:
      description: How many devices (running or defined) were checked.
      type: int
steps:
  description:
    - What each step reported, as the single module would - C(masks) as M(vfio.passthrough.ap_masks), C(mdevs) as
      M(vfio.passthrough.mdev), each with its own C(changed). Empty when I(devices) is.
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._ap.passthrough import ap_result, ap_steps
from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_steps


def main():
    """Reserve the queues, then define and start the devices, unless in check mode; check the host; report."""
    module = AnsibleModule(
        argument_spec=dict(
            host_options(),
            devices=dict(type='list', elements='dict', required=True, options=dict(
                uuid=dict(type='str'), adapters=dict(type='list', elements='raw'),
                domains=dict(type='list', elements='raw'), control_domains=dict(type='list', elements='raw'),
                autostart=dict(type='bool', default=True))),
            exclusive_masks=dict(type='bool', default=False),
            live=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    run_steps(module, lambda: (ap_steps(p['devices'], p['exclusive_masks'], p['live']), ap_result))


if __name__ == '__main__':
    main()
