#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: ccw_info
short_description: Resolve ccw device numbers (such as a DASD's 0.0.2b09) to their subchannels
version_added: 0.1.0
description:
  - Users know a device by its device number; vfio-ccw works on its subchannel, whose id is not stable across IPLs.
    This module reports, for each device number, the subchannel it is on, the subchannel's driver, the ccw device's
    driver and state, and whether C(/proc/cio_ignore) hides it.
  - The device is found through its ccw device (C(/sys/bus/ccw/devices/<device>), a child of its subchannel) or,
    when the subchannel is bound to vfio_ccw and the ccw device is gone, through the subchannels' C(dev_busid).
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  devices:
    description: Device numbers, such as C(0.0.2b09) (C(2b09) is read as C(0.0.2b09)).
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - vfio.passthrough.attributes.info_module
  - vfio.passthrough.host
seealso:
  - module: vfio.passthrough.cio_ignore
  - module: vfio.passthrough.driver_override
'''

EXAMPLES = r'''
- name: Which subchannel is DASD 0.0.2b09 on?
  vfio.passthrough.ccw_info:
    devices: [0.0.2b09]
  register: dasd
- ansible.builtin.debug:
    msg: "{{ dasd.devices[0].subchannel }}"
'''

RETURN = r'''
devices:
  description: One entry per device number, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The device number, canonical.
      type: str
      sample: 0.0.2b09
    subchannel:
      description: The subchannel, or null when the device is not present (for example hidden by cio_ignore).
      type: str
      sample: 0.0.0313
    subchannel_driver:
      description: The subchannel's driver (C(io_subchannel), C(vfio_ccw)), or null.
      type: str
      sample: io_subchannel
    ccw_driver:
      description: The ccw device's driver (C(dasd-eckd)), or null (no ccw device while vfio_ccw drives the subchannel).
      type: str
      sample: dasd-eckd
    online:
      description: Whether the ccw device is online, or null without a ccw device.
      type: bool
    cutype:
      description: The control unit type, or null.
      type: str
      sample: 3990/e9
    devtype:
      description: The device type, or null.
      type: str
      sample: 3390/0c
    ignored:
      description: Whether /proc/cio_ignore lists the device.
      type: bool
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._ccw.info import resolve
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_info


def main():
    """Resolve each device number and report it."""
    module = AnsibleModule(argument_spec=dict(host_options(changing=False),
                                              devices=dict(type='list', elements='str', required=True)),
                           supports_check_mode=True)
    run_info(module, lambda host: {'devices': resolve(host, module.params['devices'])})


if __name__ == '__main__':
    main()
