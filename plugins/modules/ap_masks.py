#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: ap_masks
short_description: Hand AP adapters and domains to vfio_ap through /sys/bus/ap/apmask and aqmask
version_added: 0.1.0
description:
  - An AP queue (adapter, domain) stays with the host's crypto drivers while its adapter is set in
    C(/sys/bus/ap/apmask) and its domain in C(aqmask); clearing either bit makes the queue available to vfio_ap
    for pass-through. This module sets the masks declaratively.
  - A change that would give the host a queue assigned to a mediated device is refused before it is made, naming
    the mdev (the kernel would answer EBUSY).
  - Persistent masks are stored the way s390-tools' C(chzdev --type ap) stores them, as the udev rule
    C(/etc/udev/rules.d/41-ap.rules) that sets the masks once the AP bus has bound its devices, and loads vfio_ap.
  - On kernels that offer C(driver_override) on AP queues, the kernel refuses mask changes while any queue has an
    override; the module says so. Use M(vfio.passthrough.driver_override) with C(bus=ap) for that mechanism.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  adapters:
    description:
      - Adapters for vfio_ap, as numbers, C('0x2a') strings or C('4-7') ranges.
    type: list
    elements: raw
  domains:
    description:
      - Domains (queue indexes) for vfio_ap, in the same forms.
    type: list
    elements: raw
  state:
    description:
      - C(present) gives the listed adapters and domains to vfio_ap, C(absent) gives them back to the host.
        Others are left as they are.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With C(present), exactly the listed adapters and domains go to vfio_ap; all others are the host's.
    type: bool
    default: false
  apmask:
    description:
      - For ad-hoc use, the kernel's own syntax, instead of I(adapters) - an absolute mask C(0xff...) of the adapters
        the host keeps, or changes such as C(-5,+6) (C(-) gives to vfio_ap, C(+) to the host).
    type: str
  aqmask:
    description:
      - The same for domains, instead of I(domains).
    type: str
  persistent:
    description:
      - Also write the chzdev-style udev rule so that the masks are set at boot.
    type: bool
    default: true
  load_vfio_ap:
    description:
      - Load the vfio_ap kernel module if its driver is not registered (only when C(VFIO_PASSTHROUGH_ROOT) is C(/)).
    type: bool
    default: true
extends_documentation_fragment:
  - vfio.passthrough.attributes
  - vfio.passthrough.host
  - vfio.passthrough.host.changing
seealso:
  - module: vfio.passthrough.mdev
  - module: vfio.passthrough.mdev_validate
'''

EXAMPLES = r'''
- name: Adapter 5 and domains 4, 0x42 and 0xab for vfio_ap (part 1 of the seed document)
  vfio.passthrough.ap_masks:
    adapters: [5]
    domains: [4, '0x42', '0xab']

- name: Exactly adapters 5-6 and domains 0x40-0x4f for guests, everything else for the host
  vfio.passthrough.ap_masks:
    adapters: ['5-6']
    domains: ['0x40-0x4f']
    exclusive: true

# Ad hoc: ansible lpar1 -m vfio.passthrough.ap_masks -a 'apmask=-5 aqmask=-4,-0x42'
'''

RETURN = r'''
apmask:
  description: The apmask after the task (predicted in check mode).
  returned: always
  type: str
  sample: "0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
aqmask:
  description: The aqmask after the task.
  returned: always
  type: str
  sample: "0xf7ffffffffffffffffdfffffffffffffffffffffffffffffffffffffffffffff"
vfio_adapters:
  description: The adapters not kept by the host, as ranges.
  returned: always
  type: str
  sample: "5"
vfio_domains:
  description: The domains not kept by the host, as ranges.
  returned: always
  type: str
  sample: "4, 66, 171"
persisted:
  description: The udev rule holding the masks, or null.
  returned: always
  type: str
  sample: /etc/udev/rules.d/41-ap.rules
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._ap.plan import MaskRequest, plan_masks
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_plan


def main():
    """Plan the masks, apply unless in check mode, report them."""
    module = AnsibleModule(
        argument_spec=dict(
            host_options(),
            adapters=dict(type='list', elements='raw'),
            domains=dict(type='list', elements='raw'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            exclusive=dict(type='bool', default=False),
            apmask=dict(type='str'),
            aqmask=dict(type='str'),
            persistent=dict(type='bool', default=True),
            load_vfio_ap=dict(type='bool', default=True),
        ),
        mutually_exclusive=[('adapters', 'apmask'), ('domains', 'aqmask'), ('exclusive', 'apmask'),
                            ('exclusive', 'aqmask')],
        required_one_of=[('adapters', 'domains', 'apmask', 'aqmask')],
        supports_check_mode=True,
    )
    p = module.params

    def plan(host, locks):
        request = MaskRequest(p['adapters'], p['domains'], p['state'], p['exclusive'], p['apmask'], p['aqmask'],
                              p['persistent'], p['load_vfio_ap'])
        return plan_masks(host, request, locks)
    run_plan(module, plan)


if __name__ == '__main__':
    main()
