#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: driver_override
short_description: Bind devices to a chosen driver through driver_override (driverctl parity)
version_added: 0.1.0
description:
  - Sets or clears the C(driver_override) of PCI devices and css subchannels (and of AP queues on kernels
    that offer it), as C(driverctl set-override) and C(unset-override) do.
  - With I(probe=true) the device is unbound from its current driver, the override is written, the bus is asked
    to probe, and the module checks which driver bound. If the device does not end up bound as asked, the
    previous override and driver are restored and the task fails saying so.
  - Persistent overrides are stored exactly as driverctl stores them, in C(/etc/driverctl.d/<bus>-<device>), so
    C(driverctl list-overrides) and this module are interchangeable. driverctl's udev rule applies them at boot
    when driverctl is installed; otherwise the module installs a udev rule, a script and a oneshot systemd unit
    that re-bind every device whose driver is not its override once devices have settled (css uevents arrive
    after device recognition, so a udev rule alone can miss).
  - Kernel modules are loaded only when C(VFIO_PASSTHROUGH_ROOT) is C(/).
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  bus:
    description:
      - The bus of I(device), as in C(/sys/bus/<bus>). Also the default for entries of I(devices).
    type: str
    default: pci
  device:
    description:
      - Quote PCI addresses in YAML, as in C('0000:01:00.0'); unquoted, YAML reads C(0000:01:00.0) as the number 60.0.
      - The device, in the bus's canonical form or a short one, for example C(0000:01:00.0) or C(01:00.0) on
        C(pci), C(0.0.0313) (a subchannel) on C(css), C(05.0004) (a queue) on C(ap).
      - The form C(<bus>/<device>), such as C(pci/0000:01:00.0), is accepted as driverctl accepts it; its bus
        wins over I(bus).
      - Exactly one of I(device), I(devices) and I(ids) is required.
    type: str
  ids:
    description:
      - PCI devices selected by id, as vfio-pci's C(ids=) parameter selects them. Every PCI device that one of the
        ids matches is taken, in address order, with the task's options.
      - An id is C(vendor:device[:subvendor[:subdevice[:class:class_mask]]]) in hex without C(0x), as the kernel
        reads it; fields left out on the right match any device. The first four fields have 1 to 4 digits
        (C(ffffffff) matches any); C(class) and C(class_mask) have up to 6 and come together (the kernel ignores a
        class without a mask, so that is refused). For example C(10de:1eb8), C(8086:1010:8086:1011), or
        C(ffffffff:ffffffff:ffffffff:ffffffff:040300:ffffff) for every HD audio function.
      - Quote ids in YAML; unquoted, YAML 1.1 reads an id of digits only, such as C(1234:56), as a number.
      - An id that matches no device fails the task before anything is written.
      - Only with I(bus=pci). With I(iommu_group), each device found stands for its whole IOMMU group.
    type: list
    elements: str
  driver:
    description:
      - The driver the device should bind to, for example C(vfio-pci) or C(vfio_ccw).
      - C(none) is an ordinary name that matches no driver, so the device stays unbound.
      - Required with I(state=present).
    type: str
  state:
    description:
      - C(present) sets the override (and binds the driver when I(probe) is true).
      - C(absent) clears the override and lets the default driver bind.
    type: str
    choices: [present, absent]
    default: present
  persistent:
    description:
      - Also store the override (or its removal) in C(/etc/driverctl.d) so that it is applied at boot.
      - With C(false) the change is transient, as C(driverctl --nosave); a persisted file is left as it is.
      - On the C(css) bus the subchannel that carries a device number may change at the next IPL, while driverctl and
        mdevctl key their files by subchannel. The module therefore also records the device number
        (C(/etc/vfio-passthrough/css.d/<device number>)) and installs a udev rule that runs before theirs
        (C(04-vfio-passthrough-css.rules), C(/usr/libexec/vfio-passthrough/resolve-css)) and moves the override and
        the mdev definitions to the subchannel that carries the device at that boot.
    type: bool
    default: true
  probe:
    description:
      - Unbind and re-probe the device so that the override takes effect now.
      - With C(false), as C(driverctl --noprobe), the device is not probed. A device bound to another driver than
        the override is still unbound first and then left unbound (with C(state=absent), one bound to the
        override's driver); a device already bound to the override's driver is left bound.
    type: bool
    default: true
  force:
    description:
      - Unbind a device even when that takes it from its users, and bind C(vfio_ccw) to a QDIO subchannel.
      - Without it the task refuses, before anything is written, to unbind a device that is the parent of a running
        mdev (a guest's vfio-ccw device, a vGPU), a PCI device whose network interface is up or whose disk is
        mounted, and to hand a QDIO subchannel (an OSA or FCP device, which vfio_ccw cannot take) to vfio_ccw.
      - A subchannel whose ccw device is online (a DASD) is unbound from io_subchannel only after the device was set
        offline; the kernel refuses that (EBUSY) while the host uses it, and then the task fails and leaves
        everything as it was. If a later step fails, the device is bound again and set online again. With I(force)
        the device is unbound without being set offline.
      - With it the result says what was taken from whom (I(taken), and a warning).
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for the driver to bind after probing (on a real host, woken by the bind uevent).
    type: int
    default: 10
  iommu_group:
    description:
      - Take the device's whole IOMMU group (PCI only). The device stands for every endpoint of its group, the
        devices of C(/sys/bus/pci/devices/<device>/iommu_group/devices/) except bridges (PCI classes C(0x0604xx),
        root ports included, C(0x0607xx) and C(0x0609xx), which VFIO leaves out of a group and vfio-pci does not
        take); each is bound (or given back, with I(state=absent)) as the device is asked. Naming a bridge takes
        the devices behind it.
      - The group's devices are planned one after the other; if one of them fails, every device changed before it
        is put back, so the group is changed whole or not at all.
      - A device of the group that the task also names itself must be asked for with the same options.
      - A device without an IOMMU group (the IOMMU is off) fails the task.
    type: bool
    default: false
  allow_split_group:
    description:
      - VFIO can use an IOMMU group only when each of its endpoints is bound to vfio-pci (or a variant driver
        such as C(mlx5_vfio_pci)), to C(pci-stub) or to no driver. On the C(pci) bus a task is therefore refused,
        before anything is written, when after it an IOMMU group it changes would have an endpoint on a vfio driver
        and another on a host driver (any other driver; a device given back to its default driver with
        I(state=absent) counts as on a host driver). This holds whatever I(driver) was asked for, with
        I(state=absent) too, and check mode predicts the same refusal. The error names the group, the devices
        asked for and each other endpoint with its driver.
      - Bind the whole group with I(iommu_group) (or list each of its devices) instead, or set this option to
        C(true) to split the group knowingly; the task then warns, naming the group and the drivers.
      - Devices of other buses are not checked.
    type: bool
    default: false
  devices:
    description:
      - Several devices in one task. Each entry takes the options above; what an entry leaves out is taken from
        the task's I(bus), I(driver), I(state), I(persistent), I(probe), I(force) and I(iommu_group).
    type: list
    elements: dict
    suboptions:
      device:
        description: The device.
        type: str
        required: true
      bus:
        description: The bus; defaults to the task's I(bus).
        type: str
      driver:
        description: The driver; defaults to the task's I(driver).
        type: str
      state:
        description: C(present) or C(absent); defaults to the task's I(state).
        type: str
        choices: [present, absent]
      persistent:
        description: Persist the change; defaults to the task's I(persistent).
        type: bool
      probe:
        description: Re-probe now; defaults to the task's I(probe).
        type: bool
      force:
        description: Take the device from its users; defaults to the task's I(force).
        type: bool
      iommu_group:
        description: Take the device's whole IOMMU group; defaults to the task's I(iommu_group).
        type: bool
extends_documentation_fragment:
  - vfio.passthrough.attributes
  - vfio.passthrough.host
  - vfio.passthrough.host.changing
notes:
  - "driverctl command -> this module, and where the result differs:"
  - "C(driverctl [-b B] set-override D DRV) -> C([bus=B] device=D driver=DRV). Differs: a device already bound
    to DRV with the override set is not unbound and probed again; a device the host or a guest uses is refused
    unless I(force); a PCI device whose IOMMU group would be left split between vfio and host drivers is refused
    unless I(allow_split_group)."
  - "C(driverctl unset-override D) -> C(device=D state=absent). Same, with the checks above."
  - "C(vfio-pci.ids=V:D) on the kernel command line -> C(ids=['V:D'] driver=vfio-pci), now rather than at boot."
  - "C(driverctl --nosave ...) -> C(persistent=false). Same."
  - "C(driverctl --noprobe ...) -> C(probe=false). Same: unbound first, not probed; differs only where the device
    is already bound to the override's driver (left bound)."
  - "C(driverctl load-override D) -> the boot-time files, or C(device=D driver=<persisted>)."
  - "C(driverctl list-devices [CLASS]) -> M(vfio.passthrough.driver_override_info) with C(class=CLASS).
    C(list-overrides) -> C(overrides_only=true). C(-v) -> C(names=true) (from the host's pci.ids, where driverctl
    asks udev's hwdb)."
  - "C(pci/0000:01:00.0) device names -> accepted as I(device)."
  - The C(ap) bus hands queues to vfio_ap through C(/sys/bus/ap/apmask) and C(aqmask); only kernels from late 2025
    offer C(driver_override) on AP queues, and only while the masks are at their default.
seealso:
  - module: vfio.passthrough.driver_override_info
'''

EXAMPLES = r'''
- name: Bind subchannel 0.0.0313 to vfio_ccw, persistently (driverctl -b css set-override 0.0.0313 vfio_ccw)
  vfio.passthrough.driver_override:
    bus: css
    device: 0.0.0313
    driver: vfio_ccw

- name: Hand a GPU and its audio function to vfio-pci
  vfio.passthrough.driver_override:
    driver: vfio-pci
    devices:
      - device: '0000:01:00.0'
      - device: '0000:01:00.1'

- name: Hand the GPU and every other endpoint of its IOMMU group to vfio-pci
  vfio.passthrough.driver_override:
    device: '0000:01:00.0'
    driver: vfio-pci
    iommu_group: true

- name: Every device with this vendor:device id, as vfio-pci.ids=10de:1eb8 does at boot, with their groups
  vfio.passthrough.driver_override:
    ids: ['10de:1eb8']
    driver: vfio-pci
    iommu_group: true

- name: Only the first port of a dual-port NIC, leaving the other one to the host (warns; VFIO cannot use the group)
  vfio.passthrough.driver_override:
    device: '0000:02:01.0'
    driver: vfio-pci
    allow_split_group: true

- name: Keep a NIC unbound until the next boot (no driver matches "none")
  vfio.passthrough.driver_override:
    device: '00:02.0'
    driver: none
    persistent: false

- name: Give a device back to its default driver and forget the override
  vfio.passthrough.driver_override:
    device: '0000:01:00.0'
    state: absent
'''

RETURN = r'''
devices:
  description: One entry per device, in the order given, with the state after the task (predicted in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    bus:
      description: The bus.
      type: str
      sample: css
    device:
      description: The device in canonical form.
      type: str
      sample: 0.0.0313
    driver:
      description: The bound driver, or null when unbound.
      type: str
      sample: vfio_ccw
    override:
      description: The driver_override, or null when unset.
      type: str
      sample: vfio_ccw
    persisted:
      description: The override stored in /etc/driverctl.d, or null.
      type: str
      sample: vfio_ccw
    taken:
      description: With I(force), what unbinding the device took from its users.
      returned: when I(force) took something
      type: list
      elements: str
      sample: [running mdev 7e270a25-e163-4922-af60-757fc8ed48c6 (vfio_ccw-io)]
    changed:
      description: Whether this device changed.
      type: bool
    actions:
      description: What was done (or would be done in check mode), in order.
      type: list
      elements: str
      sample: [unbind from io_subchannel, set driver_override to vfio_ccw, probe (bind vfio_ccw)]
boot_apply:
  description: How persisted overrides are applied at boot, C(driverctl) or C(builtin) (the files this module installs).
  returned: always
  type: str
  sample: builtin
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import entry_options, host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_plan
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.plan import OverrideRequest, plan_overrides, requests_by_ids

ENTRY_KEYS = ('bus', 'driver', 'state', 'persistent', 'probe', 'force', 'iommu_group')


def requests(host, params):
    """One OverrideRequest per device (entries inheriting the task's options), or per device ``ids`` match."""
    if params['ids'] is not None:
        task = dict((k, params[k]) for k in ENTRY_KEYS)
        return requests_by_ids(host, params['ids'], timeout=params['timeout'], **task)
    entries = params['devices'] if params['devices'] is not None else [{'device': params['device']}]
    out = []
    for entry in entries:
        merged = dict((k, params[k] if entry.get(k) is None else entry[k]) for k in ENTRY_KEYS)
        out.append(OverrideRequest(device=entry['device'], timeout=params['timeout'], **merged))
    return out


def main():
    """Plan the overrides, apply them unless in check mode, report every device."""
    spec = dict(
        bus=dict(type='str', default='pci'),
        device=dict(type='str'),
        driver=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        persistent=dict(type='bool', default=True),
        probe=dict(type='bool', default=True),
        force=dict(type='bool', default=False),
        timeout=dict(type='int', default=10),
        iommu_group=dict(type='bool', default=False),
    )
    spec['devices'] = dict(type='list', elements='dict',
                           options=entry_options(spec, ('device',) + ENTRY_KEYS, required=('device',)))
    spec['ids'] = dict(type='list', elements='str')
    spec['allow_split_group'] = dict(type='bool', default=False)
    module = AnsibleModule(
        argument_spec=dict(spec, **host_options()),
        mutually_exclusive=[('device', 'devices', 'ids')],
        required_one_of=[('device', 'devices', 'ids')],
        supports_check_mode=True,
    )
    p = module.params
    run_plan(module, lambda host, locks: plan_overrides(host, requests(host, p), locks,
                                                        allow_split_group=p['allow_split_group']))


if __name__ == '__main__':
    main()
