#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: vfio_pci_boot
short_description: Prepare an x86 host's boot for vfio-pci (IOMMU on the kernel command line, early binding, initramfs)
version_added: 0.2.0
description:
  - Takes an x86 KVM host to ready-for-vfio-pci at its next boot, in one task. The module changes only what the next
    boot reads; it never reboots and never binds a running device (use M(vfio.passthrough.driver_override) for that).
  - B(IOMMU.) The IOMMU is on when C(/sys/kernel/iommu_groups) has groups (vfio-noiommu ones not counted) or
    C(/sys/class/iommu) has units; the result's RV(iommu) says so, with the running command line
    (C(/proc/cmdline)) in RV(cmdline).
  - B(Kernel command line.) The arguments asked for (the IOMMU's, C(iommu=pt), I(kernel_args)) are given to every
    place that keeps the boot command line, in this order. C(/etc/kernel/cmdline) where it exists (kernel-install and
    systemd-boot give it to kernels installed later). Then, where C(grubby) is found (Fedora, RHEL, CentOS), every
    boot entry through C(grubby --update-kernel=ALL), after reading them with C(grubby --info=ALL). Without grubby,
    the C(options) lines of Boot Loader Specification entries (C(/boot/loader/entries), C(/efi/loader/entries),
    C(/boot/efi/loader/entries)), and GRUB_CMDLINE_LINUX in C(/etc/default/grub), after which grub.cfg is made again
    with C(update-grub) (Debian, Ubuntu), else C(grub2-mkconfig -o /boot/grub2/grub.cfg) (or the
    C(/boot/efi/EFI/<distribution>/grub.cfg) of an EFI-only install), else C(grub-mkconfig -o /boot/grub/grub.cfg).
  - An argument already there with the value asked for is left as it is; the same key with another value (such as
    C(intel_iommu=off)) is replaced, in GRUB_CMDLINE_LINUX_DEFAULT too. The IOMMU arguments keep their other
    options (C(intel_iommu=igfx_off) becomes C(intel_iommu=igfx_off,on)). Nothing else is removed, and arguments
    are never taken away when they are no longer asked for. In C(/etc/default/grub) only the value of the last
    assignment is rewritten, in its own quotes; a value set with shell expansion (C($VAR)) is refused.
  - B(Early binding.) With I(ids), C(/etc/modprobe.d/vfio-passthrough.conf) holds C(options vfio-pci ids=...), a
    C(softdep) line for each of I(softdep_drivers) (vfio-pci is loaded before that driver) and a C(blacklist) line for
    each of I(blacklist). Without I(ids) the file is removed.
  - B(Initramfs.) vfio-pci must be in the initramfs when a host driver loads from it. With initramfs-tools (Debian,
    Ubuntu) the modules C(vfio), C(vfio_iommu_type1) and C(vfio_pci) are listed in C(/etc/initramfs-tools/modules)
    between marker lines and C(update-initramfs -u -k all) runs; with dracut (Fedora, RHEL, SUSE)
    C(/etc/dracut.conf.d/vfio-passthrough.conf) sets C(force_drivers) and C(dracut --regenerate-all -f) runs. The
    images of every installed kernel are rebuilt (the next boot may start a newer kernel than the running one), and
    only when that file or the modprobe.d file changed. Without I(ids) the modules are taken out again.
  - B(Reboot.) RV(reboot_required) is true when anything changed, or when the running kernel was booted without an
    argument asked for; RV(msg) says why. The module never reboots.
  - A program that fails ends the task with its command line, exit code and error output; the files the task had
    written are put back first, grubby's calls reversed, and the changes made before (the modprobe.d file, the
    command line) undone.
  - B(Other roots.) Below a I(root) other than C(/), these programs would change the real host's C(/boot), so a
    program is only used when it is found in a directory of C(PATH) that lies below that root (the collection's tests
    put stand-ins there); the real host's programs are never run for another root.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  ids:
    description:
      - The vendor:device ids of the devices vfio-pci should claim at boot, such as C(10de:1eb8), as vfio-pci's C(ids)
        parameter takes them (optionally followed by C(:subvendor:subdevice:class:class_mask)).
      - Every function of a device that goes to a guest (a GPU's audio function too) needs its id here or its
        driver in I(softdep_drivers).
      - An empty list removes the modprobe.d file and the initramfs configuration the module wrote.
    type: list
    elements: str
    default: []
  iommu:
    description:
      - C(auto) takes the IOMMU of the CPU's vendor (C(vendor_id) in C(/proc/cpuinfo)) and adds C(intel_iommu=on) or
        C(amd_iommu=on) when the IOMMU is off, or keeps it when the running kernel was booted with it; an IOMMU that
        is on without it is left alone. With the IOMMU off and a CPU neither Intel nor AMD, the task fails.
      - C(intel) and C(amd) always keep C(intel_iommu=on) or C(amd_iommu=on) on the command line.
      - C(none) leaves the IOMMU's argument alone (a warning says so when the IOMMU is off).
    type: str
    choices: [auto, intel, amd, none]
    default: auto
  iommu_pt:
    description:
      - Also keep C(iommu=pt) on the command line (the host's own devices use the IOMMU in pass-through mode).
    type: bool
    default: false
  kernel_args:
    description:
      - More arguments to keep on the kernel command line, such as C(video=efifb:off) or C(pcie_aspm=off), each once.
      - An argument whose key is there with another value replaces it; a key the IOMMU options set is refused here.
    type: list
    elements: str
    default: []
  softdep_drivers:
    description:
      - Host drivers of the devices (C(nouveau), C(snd_hda_intel), C(amdgpu)) that must load only after vfio-pci, so
        that vfio-pci claims the devices first. Needs I(ids).
    type: list
    elements: str
    default: []
  blacklist:
    description:
      - Kernel modules never to load automatically (C(blacklist) lines), such as a GPU driver the host does not use.
        Needs I(ids).
    type: list
    elements: str
    default: []
  initramfs:
    description:
      - The initramfs generator. C(auto) takes initramfs-tools where C(update-initramfs) is found and
        C(/etc/initramfs-tools) exists, else dracut where C(dracut) is found; without either it warns and leaves the
        initramfs alone.
      - C(none) leaves the initramfs alone.
    type: str
    choices: [auto, initramfs-tools, dracut, none]
    default: auto
extends_documentation_fragment:
  - vfio.passthrough.attributes
  - vfio.passthrough.host
  - vfio.passthrough.host.changing
notes:
  - Arguments added to the command line stay when they are no longer asked for; remove them with the platform's
    tool (C(grubby --update-kernel=ALL --remove-args=...)) or by editing C(/etc/default/grub).
  - Newer grubby releases also write GRUB_CMDLINE_LINUX in C(/etc/default/grub) with C(--update-kernel=ALL); that
    edit is grubby's own and is not part of the diff.
seealso:
  - module: vfio.passthrough.driver_override
  - module: vfio.passthrough.driver_override_info
'''

EXAMPLES = r'''
- name: IOMMU on, and vfio-pci claims the GPU and its audio function at boot
  vfio.passthrough.vfio_pci_boot:
    ids: ['10de:1eb8', '10de:10f8']
    softdep_drivers: [nouveau, snd_hda_intel]
    iommu_pt: true
  register: boot

- name: Tell the admin (the module never reboots)
  ansible.builtin.debug:
    msg: "{{ boot.msg }}"
  when: boot.reboot_required

- name: Only the IOMMU, for binding devices at run time with driver_override
  vfio.passthrough.vfio_pci_boot:
    iommu: intel
'''

RETURN = r'''
actions:
  description: The files written and the programs run (or that would be, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ['write /etc/modprobe.d/vfio-passthrough.conf',
           'edit /etc/default/grub (GRUB_CMDLINE_LINUX: +intel_iommu=on)', 'run /usr/sbin/update-grub',
           'edit /etc/initramfs-tools/modules', 'run /usr/sbin/update-initramfs -u -k all']
ids:
  description: The vfio-pci ids, in canonical form.
  returned: always
  type: list
  elements: str
  sample: ['10de:1eb8', '10de:10f8']
iommu:
  description: The IOMMU of the running kernel.
  returned: always
  type: dict
  contains:
    enabled:
      description: True when the kernel made IOMMU groups or registered IOMMU units.
      type: bool
    groups:
      description: The number of IOMMU groups (vfio-noiommu groups not counted).
      type: int
    units:
      description: The IOMMU units in C(/sys/class/iommu).
      type: list
      elements: str
  sample: {enabled: false, groups: 0, units: []}
cmdline:
  description: The running kernel's command line (C(/proc/cmdline)).
  returned: always
  type: str
  sample: BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=UUID=... ro quiet
kernel_args:
  description: The arguments the task keeps on the configured command line.
  returned: always
  type: list
  elements: str
  sample: [intel_iommu=on, iommu=pt]
missing_from_running:
  description: The arguments of RV(kernel_args) that the running kernel was booted without.
  returned: always
  type: list
  elements: str
  sample: [intel_iommu=on]
boot_config:
  description: The places that keep the configured command line that the task looked at (empty when it asks for no
    argument).
  returned: always
  type: list
  elements: str
  sample: [/etc/kernel/cmdline, grubby (3 boot entries)]
initramfs:
  description: The initramfs generator used (C(initramfs-tools), C(dracut)), or null.
  returned: always
  type: str
  sample: initramfs-tools
modprobe_conf:
  description: The modprobe.d file that holds the ids, or null without ids.
  returned: always
  type: str
  sample: /etc/modprobe.d/vfio-passthrough.conf
reboot_required:
  description: True when the task changed (or would change) the boot configuration, or the running kernel lacks an
    argument of RV(kernel_args).
  returned: always
  type: bool
  sample: true
msg:
  description: Whether a reboot is needed, and why.
  returned: always
  type: str
  sample: 'reboot required for vfio-pci (the module never reboots): written /etc/modprobe.d/vfio-passthrough.conf;
    kernel command line gets intel_iommu=on'
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._boot.plan import (
    INITRAMFS_CHOICES, IOMMU_CHOICES, BootRequest, plan_vfio_pci_boot)
from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_plan


def main():
    """Plan the boot configuration, apply unless in check mode, report it."""
    module = AnsibleModule(
        argument_spec=dict(
            host_options(),
            ids=dict(type='list', elements='str', default=[]),
            iommu=dict(type='str', choices=list(IOMMU_CHOICES), default='auto'),
            iommu_pt=dict(type='bool', default=False),
            kernel_args=dict(type='list', elements='str', default=[]),
            softdep_drivers=dict(type='list', elements='str', default=[]),
            blacklist=dict(type='list', elements='str', default=[]),
            initramfs=dict(type='str', choices=list(INITRAMFS_CHOICES), default='auto'),
        ),
        supports_check_mode=True,
    )
    p = module.params

    def plan(host, locks):
        request = BootRequest(p['ids'], p['iommu'], p['iommu_pt'], p['kernel_args'], p['softdep_drivers'],
                              p['blacklist'], p['initramfs'])
        return plan_vfio_pci_boot(host, request)
    run_plan(module, plan)


if __name__ == '__main__':
    main()
