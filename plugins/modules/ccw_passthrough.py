#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: ccw_passthrough
short_description: Hand ccw devices (DASDs) to guests in one task - cio_ignore, vfio_ccw and one mdev each
version_added: 0.2.0
description:
  - Does in one module run what M(vfio.passthrough.cio_ignore), M(vfio.passthrough.driver_override) and
    M(vfio.passthrough.mdev) do one after the other for ccw devices, and what the C(vfio.passthrough.vfio_ccw) role
    runs (the role calls this module).
  - Frees the devices from the cio_ignore list (C(cio_ignore -r), and at every boot with I(persistent)); binds the
    subchannel that carries each device to C(vfio_ccw) (C(driverctl -b css set-override <subchannel> vfio_ccw));
    defines and starts one C(vfio_ccw-io) mediated device on each subchannel (C(mdevctl define -a), C(mdevctl start)).
  - Each step is planned after the one before it is applied, since a device's subchannel is known only once the
    device is free and a subchannel offers C(vfio_ccw-io) only once C(vfio_ccw) is bound. The steps refuse what the
    single modules refuse (a subchannel whose device the host uses, a conflicting mdev), before they write.
  - If a step fails, the changes of the steps before it are undone as well, newest first, so that the host is left
    as the task found it; the error lists what was undone.
  - In check mode nothing is applied. Once a step would change the host, the steps that need that change done
    first cannot be predicted; their entry in I(steps) is null.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  devices:
    description:
      - The device numbers, such as C(0.0.2b09) or C(2b09), each a string or a mapping with C(device) and C(uuid) (the
        uuid the device's mdev should have; without it an existing C(vfio_ccw-io) device of the subchannel is kept,
        or a new one gets a random uuid).
    type: list
    elements: raw
    required: true
  autostart:
    description: Start each mdev at boot (mdevctl's C(auto)); C(false) defines it C(manual).
    type: bool
    default: true
  persistent:
    description:
      - Make everything hold across IPLs, as the single modules' I(persistent) does - freed from cio_ignore at boot,
        the overrides in C(/etc/driverctl.d) (with the device-number records that follow a device to another
        subchannel), the mdev definitions in C(/etc/mdevctl.d).
      - With C(false) everything lasts until the next IPL.
    type: bool
    default: true
extends_documentation_fragment:
  - vfio.passthrough.attributes
  - vfio.passthrough.host
  - vfio.passthrough.host.changing
seealso:
  - module: vfio.passthrough.cio_ignore
  - module: vfio.passthrough.driver_override
  - module: vfio.passthrough.mdev
'''

EXAMPLES = r'''
- name: Two DASDs to guests, the second with a fixed mdev uuid
  vfio.passthrough.ccw_passthrough:
    devices:
      - 0.0.2b09
      - device: 0.0.2c01
        uuid: 7e270a25-e163-4922-af60-757fc8ed48c6
  register: ccw

- name: Which subchannel and uuid each device got
  ansible.builtin.debug:
    msg: "{{ item.device }}: subchannel {{ item.subchannel }}, mdev {{ item.uuid }}"
  loop: "{{ ccw.devices }}"
'''

RETURN = r'''
devices:
  description: Each device, in the order given, with its subchannel and its mdev's uuid.
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The device number.
      type: str
      sample: 0.0.2c01
    subchannel:
      description: The subchannel that carries the device (null in check mode while the device is still ignored).
      type: str
      sample: 0.0.0315
    uuid:
      description: The uuid of the device's vfio_ccw-io mdev (null in check mode where it is not known yet).
      type: str
      sample: 7e270a25-e163-4922-af60-757fc8ed48c6
steps:
  description:
    - What each step reported, as the single module would - C(cio_ignore) as M(vfio.passthrough.cio_ignore),
      C(overrides) as M(vfio.passthrough.driver_override), C(mdevs) as M(vfio.passthrough.mdev), each with its own
      C(changed).
    - A step is null in check mode when it needs an earlier step's change done first.
  returned: always
  type: dict
  sample: {cio_ignore: {changed: false, devices: {0.0.2c01: free}, subchannels: {0.0.2c01: 0.0.0315}},
           overrides: {changed: false, devices: []}, mdevs: {changed: false, devices: []}}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._ccw.passthrough import ccw_devices, ccw_result, ccw_steps
from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_steps


def main():
    """Free, bind and start the devices, one step after the other, unless in check mode; report them."""
    module = AnsibleModule(
        argument_spec=dict(host_options(), devices=dict(type='list', elements='raw', required=True),
                           autostart=dict(type='bool', default=True), persistent=dict(type='bool', default=True)),
        supports_check_mode=True,
    )
    p = module.params

    def prepare():
        devices = ccw_devices(p['devices'])
        return (ccw_steps(devices, p['autostart'], p['persistent']),
                lambda host, reports: {'devices': ccw_result(devices, reports), 'steps': reports})

    run_steps(module, prepare)


if __name__ == '__main__':
    main()
