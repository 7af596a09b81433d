#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: driver_override_info
short_description: List devices with their driver, driver override and persisted override
version_added: 0.1.0
description:
  - Reports what C(driverctl list-devices), C(list-overrides) and C(list-persisted) report, for one or more buses.
    That is every device that has a C(driver_override) attribute with its bound driver, its current override and
    the override persisted in C(/etc/driverctl.d).
  - For PCI devices it also tells which devices share the IOMMU group and whether VFIO can use the group as it is
    bound now, and the links between SR-IOV physical and virtual functions.
  - A file of C(/etc/driverctl.d) that cannot be read (a symbolic link, not UTF-8 text, a name that is not UTF-8) is
    reported in C(problems), never fatal; every other file and device is listed as usual.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  bus:
    description:
      - The buses to list. By default those of C(pci), C(css) and C(ap) that exist on the host; a bus named
        here must exist.
    type: list
    elements: str
  devices:
    description:
      - Only these devices (any accepted form, for example C(01:00.0), C(0.0.0313) or driverctl's C(pci/0000:01:00.0));
        quote PCI addresses in YAML.
    type: list
    elements: str
  overrides_only:
    description:
      - Only devices whose override is set (C(driverctl list-overrides)).
    type: bool
    default: false
  class:
    description:
      - Only devices of this PCI device class, as C(driverctl list-devices <class>) (the base class in the
        device's C(class) attribute). Devices without a class (css subchannels, AP queues) are then left out.
        C(all) is no filter.
    type: str
    choices: [all, storage, network, display, multimedia, memory, bridge, communication, system, input, docking,
              processor, serial]
  names:
    description:
      - Add the vendor and device names of PCI devices, as C(driverctl -v) shows the model, from the host's
        C(pci.ids) (C(/usr/share/misc/pci.ids), C(/usr/share/hwdata/pci.ids) or C(/usr/share/pci.ids)); the device
        name is also appended to its summary line in parentheses.
    type: bool
    default: false
extends_documentation_fragment:
  - vfio.passthrough.attributes.info_module
  - vfio.passthrough.host
seealso:
  - module: vfio.passthrough.driver_override
'''

EXAMPLES = r'''
- name: Everything that can be overridden
  vfio.passthrough.driver_override_info:
  register: overrides

- name: Is subchannel 0.0.0313 bound to vfio_ccw?
  vfio.passthrough.driver_override_info:
    bus: [css]
    devices: [0.0.0313]
  register: sch
- ansible.builtin.assert:
    that: sch.devices[0].driver == 'vfio_ccw'

- name: Can a guest have the GPU's IOMMU group as it is bound now?
  vfio.passthrough.driver_override_info:
    devices: ['0000:01:00.0']
  register: gpu
- ansible.builtin.assert:
    that: gpu.devices[0].iommu_group_viable
    fail_msg: "group {{ gpu.devices[0].iommu_group }} also holds {{ gpu.devices[0].iommu_group_peers | join(', ') }}"

# Ad hoc: ansible myhost -m vfio.passthrough.driver_override_info -a 'bus=pci overrides_only=true'
'''

RETURN = r'''
summary:
  description: One line per device, as C(driverctl list-devices) prints it (C([*]) marks an override).
  returned: always
  type: list
  elements: str
  sample: ['css 0.0.0313 vfio_ccw [*]', 'css 0.0.0314 io_subchannel']
devices:
  description: Devices that have a driver_override attribute, by bus and name.
  returned: always
  type: list
  elements: dict
  contains:
    bus:
      description: The bus.
      type: str
      sample: pci
    device:
      description: The device.
      type: str
      sample: '0000:01:00.0'
    driver:
      description: The bound driver, or null when unbound.
      type: str
      sample: vfio-pci
    override:
      description: The driver_override, or null when unset.
      type: str
      sample: vfio-pci
    persisted:
      description: The override persisted in /etc/driverctl.d, or null.
      type: str
      sample: vfio-pci
    iommu_group:
      description: The IOMMU group (PCI devices that have one).
      type: str
      returned: when the device has an IOMMU group
      sample: "12"
    iommu_group_peers:
      description:
        - The other devices of the IOMMU group (C(/sys/kernel/iommu_groups/<group>/devices)), bridges included,
          sorted; empty when the device has the group to itself. A guest gets all of them or none.
      type: list
      elements: str
      returned: for PCI devices that have an IOMMU group
      sample: ['0000:01:00.1']
    iommu_group_viable:
      description:
        - Whether VFIO can use the IOMMU group as it is bound now, as the kernel decides it; every endpoint of the
          group is bound to vfio-pci (or a variant driver such as C(mlx5_vfio_pci)), to C(pci-stub) or to no
          driver. Bridges (PCI classes C(0x0604xx), root ports included, C(0x0607xx), C(0x0609xx)) do not count,
          whatever driver they have.
        - C(false) means that an endpoint of the group is bound to a host driver; M(vfio.passthrough.driver_override)
          with I(iommu_group=true) binds the whole group.
      type: bool
      returned: for PCI devices that have an IOMMU group
      sample: true
    physfn:
      description: For an SR-IOV virtual function, its physical function (the C(physfn) link).
      type: str
      returned: for SR-IOV virtual functions
      sample: '0000:03:00.0'
    virtfns:
      description: For an SR-IOV physical function with virtual functions enabled, the virtual functions, by
        their C(virtfn<N>) links in the order of N.
      type: list
      elements: str
      returned: for SR-IOV physical functions with virtual functions enabled
      sample: ['0000:03:00.1', '0000:03:00.2']
    dev_busid:
      description: The device number behind a css I/O subchannel, or C(none).
      type: str
      returned: for css subchannels that have it
      sample: 0.0.2b09
    vendor_name:
      description: The vendor's name in pci.ids, null when it has none (or there is no pci.ids).
      type: str
      returned: for PCI devices, with I(names)
      sample: NVIDIA Corporation
    device_name:
      description: The device's name in pci.ids, null when it has none.
      type: str
      returned: for PCI devices, with I(names)
      sample: TU104GL [Quadro RTX 4000]
persisted:
  description: Every override persisted in /etc/driverctl.d, including those of devices not present now.
  returned: always
  type: list
  elements: dict
  contains:
    bus:
      description: The bus.
      type: str
      sample: css
    device:
      description: The device.
      type: str
      sample: 0.0.0313
    driver:
      description: The persisted driver.
      type: str
      sample: vfio_ccw
problems:
  description: Files of /etc/driverctl.d that could not be read, with the reason; they are not in C(persisted).
  returned: always
  type: list
  elements: dict
  contains:
    bus:
      description: The bus the file name gives, null when C(/etc/driverctl.d) itself cannot be listed.
      type: str
      sample: css
    device:
      description: The device the file name gives (bytes that are not UTF-8 shown as C(\xNN)), null when
        C(/etc/driverctl.d) itself cannot be listed.
      type: str
      sample: 0.0.0313
    path:
      description: The file, as on the host (bytes that are not UTF-8 shown as C(\xNN)).
      type: str
      sample: /etc/driverctl.d/css-0.0.0313
    msg:
      description: Why it cannot be read, naming the file.
      type: str
      sample: /etc/driverctl.d/css-0.0.0313 is not a regular file; it is left alone
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_info
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.info import CLASSES, read_overrides


def main():
    """Read the devices and persisted overrides and report them."""
    module = AnsibleModule(
        argument_spec=dict(
            host_options(changing=False),
            bus=dict(type='list', elements='str'),
            devices=dict(type='list', elements='str'),
            overrides_only=dict(type='bool', default=False),
            names=dict(type='bool', default=False),
            **{'class': dict(type='str', choices=['all'] + list(CLASSES))}
        ),
        supports_check_mode=True,
    )
    p = module.params

    def collect(host):
        devices, persisted, problems = read_overrides(host, p['bus'], p['devices'], p['class'], p['names'])
        if p['overrides_only']:
            devices = [d for d in devices if d['override'] is not None]
        summary = ['%s %s %s%s%s' % (d['bus'], d['device'], d['driver'] or '(none)',
                                     ' [*]' if d['override'] is not None else '',
                                     ' (%s)' % d['device_name'] if d.get('device_name') else '')
                   for d in devices]
        return {'summary': summary, 'devices': devices, 'persisted': persisted, 'problems': problems}

    run_info(module, collect)


if __name__ == '__main__':
    main()
