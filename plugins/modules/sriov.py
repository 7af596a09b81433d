#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: sriov
short_description: Set how many SR-IOV virtual functions a PCI physical function has, now and at boot
version_added: 0.2.0
description:
  - Sets C(sriov_numvfs) of SR-IOV physical functions (PFs), as C(echo N > /sys/bus/pci/devices/<PF>/sriov_numvfs)
    does, so that their virtual functions (VFs) appear as PCI devices of their own that can be handed to guests
    with M(vfio.passthrough.driver_override).
  - The kernel takes a new count only from 0, so changing a count from N to M writes C(0) and then C(M); every VF
    is removed and M new ones are created. If writing M fails, the old count is written back and the task fails
    with the kernel's errno.
  - A count above C(sriov_totalvfs) is refused before anything is written, and so is a change while no driver is
    bound to the PF (the kernel changes the count only through the PF's driver).
  - Removing VFs (any change of a nonzero count) is refused, before anything is written, while one of them is in use
    unless I(force); see I(force).
  - With I(persistent=true) the count is also kept in C(/etc/udev/rules.d/70-vfio-passthrough-sriov.rules), one line
    per PF, which writes it when the PF's C(add) or C(bind) uevent comes at boot.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  device:
    description:
      - The PF, as a PCI address in canonical or short form, for example C(0000:3b:00.0) or C(3b:00.0).
      - Quote PCI addresses in YAML, as in C('0000:3b:00.0'); unquoted, YAML reads C(0000:3b:00.0) as a number.
      - Exactly one of I(device) and I(devices) is required.
    type: str
  numvfs:
    description:
      - How many VFs the PF is to have; C(0) removes them all.
      - At most the PF's C(sriov_totalvfs). Required, here or in every entry of I(devices).
    type: int
  drivers_autoprobe:
    description:
      - Sets the PF's C(sriov_drivers_autoprobe) before the VFs are created. With C(false) no host driver binds the
        new VFs (a VF with a C(driver_override) is still probed), so that they can go to C(vfio-pci) without a host
        driver taking them first.
      - It counts for VFs created from then on; VFs that exist stay bound as they are. With I(persistent=true) a
        C(false) is also written at boot, before the count.
      - When not given, the PF's setting is left as it is (the kernel's default is C(true)).
    type: bool
  persistent:
    description:
      - Also keep the count in the collection's udev rule, so that the VFs are created again at boot; C(numvfs=0)
        removes the PF's line (and the file once no line is left). Lines of other PFs are kept.
      - With C(false) the change lasts until the next boot; the rule is left as it is.
    type: bool
    default: true
  force:
    description:
      - Remove VFs even when that takes them from their users.
      - Without it the task refuses, before anything is written, to remove VFs (to change a nonzero count) while one
        of them is bound to a vfio driver such as C(vfio-pci) (a guest may hold it), is the parent of a running mdev,
        has a network interface that is up, or has a disk that is mounted.
      - With it the result says what was taken (I(taken), and a warning). Guests lose the device; the kernel waits for
        a guest to release a VF bound to C(vfio-pci) before it removes it.
    type: bool
    default: false
  devices:
    description:
      - Several PFs in one task. Each entry takes the options above; what an entry leaves out is taken from the
        task's I(numvfs), I(drivers_autoprobe), I(persistent) and I(force).
    type: list
    elements: dict
    suboptions:
      device:
        description: The PF.
        type: str
        required: true
      numvfs:
        description: How many VFs; defaults to the task's I(numvfs).
        type: int
      drivers_autoprobe:
        description: The PF's C(sriov_drivers_autoprobe); defaults to the task's I(drivers_autoprobe).
        type: bool
      persistent:
        description: Persist the count; defaults to the task's I(persistent).
        type: bool
      force:
        description: Take VFs from their users; defaults to the task's I(force).
        type: bool
extends_documentation_fragment:
  - vfio.passthrough.attributes
  - vfio.passthrough.host
  - vfio.passthrough.host.changing
notes:
  - Check mode predicts the VFs' addresses from C(sriov_offset) and C(sriov_stride); a device whose offset or stride
    changes with the count (the SR-IOV specification allows it) gets other addresses, which the real run reports.
  - A VF's driver binds on its own after it is created (when I(drivers_autoprobe) is true); the module does not wait
    for it. Bind VFs to C(vfio-pci) with M(vfio.passthrough.driver_override) in a later task.
  - Some PF drivers (such as vfio-pci without C(enable_sriov), or a driver without SR-IOV support) refuse to change
    the count (ENOENT); the task then fails with the kernel's errno and leaves the PF as it was.
seealso:
  - module: vfio.passthrough.driver_override
  - module: vfio.passthrough.driver_override_info
'''

EXAMPLES = r'''
- name: Four VFs on the NIC's PF, now and at every boot (echo 4 > .../sriov_numvfs)
  vfio.passthrough.sriov:
    device: '0000:3b:00.0'
    numvfs: 4

- name: Create VFs that no host driver probes, then hand the first two to vfio-pci
  block:
    - name: Eight VFs, not autoprobed
      vfio.passthrough.sriov:
        device: '0000:3b:00.0'
        numvfs: 8
        drivers_autoprobe: false
      register: pf

    - name: The first two VFs to vfio-pci
      vfio.passthrough.driver_override:
        device: "{{ item }}"
        driver: vfio-pci
      loop: "{{ pf.devices[0].vfs[:2] }}"

- name: Remove the VFs of two PFs until the next boot, even those guests hold
  vfio.passthrough.sriov:
    numvfs: 0
    persistent: false
    force: true
    devices:
      - device: '0000:3b:00.0'
      - device: '0000:3b:00.1'
'''

RETURN = r'''
devices:
  description: One entry per PF, in the order given, with the state after the task (predicted in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The PF's address in canonical form.
      type: str
      sample: '0000:3b:00.0'
    numvfs:
      description: The number of VFs after the task.
      type: int
      sample: 4
    numvfs_before:
      description: The number of VFs before the task.
      type: int
      sample: 0
    totalvfs:
      description: The most VFs the PF can have (C(sriov_totalvfs)).
      type: int
      sample: 64
    vfs:
      description: The VFs' PCI addresses after the task, in VF order (predicted from offset and stride in check mode).
      type: list
      elements: str
      sample: ['0000:3b:02.0', '0000:3b:02.1', '0000:3b:02.2', '0000:3b:02.3']
    drivers_autoprobe:
      description: The PF's C(sriov_drivers_autoprobe) after the task.
      type: bool
      sample: true
    persisted:
      description: The number of VFs the boot rule gives the PF, or null when it has no line.
      type: int
      sample: 4
    taken:
      description: With I(force), what removing the VFs took from their users.
      returned: when I(force) took something
      type: list
      elements: str
      sample: ['0000:3b:02.0: bound to vfio-pci (a guest may hold it)']
    changed:
      description: Whether this PF changed.
      type: bool
    actions:
      description: What was done (or would be done in check mode), in order.
      type: list
      elements: str
      sample: ['remove the 2 VFs (write 0 to /sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs)',
               'create 4 VFs (write 4 to /sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs)',
               'persist 4 VFs at boot in /etc/udev/rules.d/70-vfio-passthrough-sriov.rules']
rule:
  description: The collection's boot rule after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    path:
      description: Its path.
      type: str
      sample: /etc/udev/rules.d/70-vfio-passthrough-sriov.rules
    lines:
      description: Its rule lines (without the comment), one per PF; empty when there is no file.
      type: list
      elements: str
      sample: ['ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="0000:3b:00.0", ATTR{sriov_numvfs}="4"']
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import entry_options, host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_plan
from ansible_collections.vfio.passthrough.plugins.module_utils._sriov.plan import SriovRequest, plan_sriov

ENTRY_KEYS = ('numvfs', 'drivers_autoprobe', 'persistent', 'force')


def requests(params):
    """One SriovRequest per PF, entries inheriting the task's options."""
    entries = params['devices'] if params['devices'] is not None else [{'device': params['device']}]
    out = []
    for entry in entries:
        merged = dict((k, params[k] if entry.get(k) is None else entry[k]) for k in ENTRY_KEYS)
        out.append(SriovRequest(device=entry['device'], **merged))
    return out


def main():
    """Plan the VF counts, apply them unless in check mode, report every PF."""
    spec = dict(
        device=dict(type='str'),
        numvfs=dict(type='int'),
        drivers_autoprobe=dict(type='bool'),
        persistent=dict(type='bool', default=True),
        force=dict(type='bool', default=False),
    )
    spec['devices'] = dict(type='list', elements='dict',
                           options=entry_options(spec, ('device',) + ENTRY_KEYS, required=('device',)))
    module = AnsibleModule(
        argument_spec=dict(spec, **host_options()),
        mutually_exclusive=[('device', 'devices')],
        required_one_of=[('device', 'devices')],
        supports_check_mode=True,
    )
    run_plan(module, lambda host, locks: plan_sriov(host, requests(module.params), locks))


if __name__ == '__main__':
    main()
