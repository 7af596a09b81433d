"""The PCI bus of the simulated kernel: what its match function adds to the core's, and SR-IOV.

pci_match_device() takes a device whose driver_override names the driver even when the driver's
id table does not list it; that is how vfio-pci, which has no ids, gets a device.

SR-IOV as 6.1's drivers/pci/iov.c has it: a scenario device with ``sriov`` is a physical function
(PF) with the ``sriov_*`` attributes. Writing ``sriov_numvfs`` asks the PF's driver to enable or
disable its virtual functions (VFs); only a driver whose scenario entry says ``sriov_configure:
true`` has that callback (as nvme's pci_sriov_configure_simple). Each VF is a PCI device of its
own, a sibling of the PF in /sys/devices, with a ``physfn`` link, in a new IOMMU group; the PF
links it as ``virtfn<i>``. The scenario entry::

    sriov: {totalvfs: 7, vf_device: "0x0010", offset: 1, stride: 1, bus_end: 0xff}

``offset`` and ``stride`` give the VFs' routing ids (PF's + offset + i * stride, so a VF may sit on
a higher bus number); ``bus_end`` is the last bus number below the PF's bridge, past which
sriov_enable() answers ENOMEM.
"""

import errno as E

from .core import BUS_MATCH, PROBE_CHECKS, build_step, fail, handles, kstrtoul, reads

U16_MAX = 0xffff
# What pci_read_vf_config_common() copies from the PF (the VF's own config space does not say it)
VF_COMMON = ('class', 'revision', 'subsystem_vendor', 'subsystem_device')


def match(kernel, drv, dev):
    """An override naming the driver matches; otherwise the id table decides."""
    return True if dev.override == drv.name else None


def can_probe(kernel, drv, dev):
    """pci_device_can_probe(): a VF is probed only while its PF autoprobes, or when it has a driver_override."""
    physfn = getattr(dev, 'physfn', None)
    if physfn is None or physfn.autoprobe or dev.override is not None:
        return 0
    return E.ENODEV


BUS_MATCH['pci'] = match
PROBE_CHECKS['pci'] = can_probe


class SriovPF(object):
    """A PF's SR-IOV capability (struct pci_sriov) and its enabled VFs."""

    def __init__(self, dev, spec):
        self.dev = dev
        self.total = int(spec['totalvfs'])
        self.offset = int(spec.get('offset', 1))
        self.stride = int(spec.get('stride', 1))
        self.vf_device = int(str(spec['vf_device']), 16)
        self.bus_end = int(spec.get('bus_end', 0xff))
        self.autoprobe = True
        self.vfs = []

    def vf_name(self, index):
        """pci_iov_virtfn_bus()/devfn(): the address of VF ``index`` (0-based), carrying into the bus number."""
        domain, bus, rest = self.dev.name.split(':')
        slot, func = rest.split('.')
        rid = (int(bus, 16) << 8 | int(slot, 16) << 3 | int(func)) + self.offset + index * self.stride
        return '%s:%02x:%02x.%d' % (domain, rid >> 8, rid >> 3 & 0x1f, rid & 7)


@build_step('devices')
def add_sriov(kernel, scenario):
    """pci_iov_init(): the sriov_* attributes of every scenario PCI device that has ``sriov``."""
    bus = kernel.buses.get('pci')
    for dev in list(bus.devices.values()) if bus is not None else []:
        if dev.spec.get('sriov'):
            sriov_files(kernel, dev)


def sriov_files(kernel, dev):
    """The PF attributes (sriov_pf_dev_attr_group): numvfs and drivers_autoprobe writable, the rest read-only."""
    pf = dev.sriov = SriovPF(dev, dev.spec['sriov'])
    t = kernel.tree
    t.attr(dev.path + '/sriov_totalvfs', '%u\n' % pf.total)
    t.attr(dev.path + '/sriov_numvfs', '', 0o644, 'sriov_numvfs', pf)
    t.attr(dev.path + '/sriov_offset', '%u\n' % pf.offset)
    t.attr(dev.path + '/sriov_stride', '%u\n' % pf.stride)
    t.attr(dev.path + '/sriov_vf_device', '%x\n' % pf.vf_device)  # "%x": no 0x, unlike the device attribute
    t.attr(dev.path + '/sriov_drivers_autoprobe', '', 0o644, 'sriov_drivers_autoprobe', pf)
    # sriov_vf_total_msix: the PF driver's sriov_get_vf_total_msix(), 0 without one (nvme, every scenario driver)
    t.attr(dev.path + '/sriov_vf_total_msix', '0\n')
    return pf


@reads('sriov_numvfs')
def r_sriov_numvfs(kernel, node):
    """The number of enabled VFs."""
    return '%u\n' % len(node.owner.vfs)


@handles('sriov_numvfs')
def h_sriov_numvfs(kernel, pf, node, data):
    """sriov_numvfs_store(): kstrtou16 (any failure EINVAL), ERANGE above totalvfs, the same count a success,
    ENOENT without a driver that configures SR-IOV, 0 disables, another count while enabled EBUSY."""
    try:
        count = kstrtoul(data)
    except OSError:
        fail(E.EINVAL)
    if count > U16_MAX:
        fail(E.EINVAL)  # kstrtou16's ERANGE: the store answers EINVAL for every parse failure
    if count > pf.total:
        fail(E.ERANGE)
    if count == len(pf.vfs):
        return
    drv = pf.dev.driver
    if drv is None or not drv.spec.get('sriov_configure'):
        fail(E.ENOENT)
    if count == 0:
        disable(kernel, pf)
        return
    if pf.vfs:
        fail(E.EBUSY)
    enable(kernel, pf, count)


def enable(kernel, pf, count):
    """sriov_enable(): ENOMEM when the last VF's bus is past the bridge's range, then each VF in order."""
    names = [pf.vf_name(i) for i in range(count)]
    if int(names[-1].split(':')[1], 16) > pf.bus_end:
        fail(E.ENOMEM)  # "SR-IOV: bus number out of range"
    for index, name in enumerate(names):
        pf.vfs.append(add_vf(kernel, pf, index, name))


def add_vf(kernel, pf, index, name):
    """pci_iov_add_virtfn(): the device (its group first, then KOBJ_ADD), the links, then its probe."""
    pf_attrs = pf.dev.spec.get('attrs') or {}
    attrs = {'vendor': pf_attrs.get('vendor'), 'device': '0x%04x' % pf.vf_device}
    attrs.update((k, pf_attrs[k]) for k in VF_COMMON if k in pf_attrs)
    group = kernel.iommu_ids.get()  # each VF its own group, as behind ACS: the lowest free id
    spec = {'name': name, 'path': name, 'attrs': attrs, 'iommu_group': group, 'probe': False}
    parent = pf.dev.path.rsplit('/', 1)[0]  # virtfn->dev.parent = dev->dev.parent: the PF's sibling
    vf = kernel.add_device(pf.dev.bus, spec, parent)
    vf.physfn = pf
    kernel.tree.link('%s/virtfn%d' % (pf.dev.path, index), vf.path)
    kernel.tree.link(vf.path + '/physfn', pf.dev.path)
    # sriov_vf_attr_group (write-only): no scenario PF driver has sriov_set_msix_vec_count
    kernel.tree.attr(vf.path + '/sriov_vf_msix_count', '', 0o200, 'sriov_vf_msix_count', vf)
    kernel.probe(vf)  # pci_bus_add_device(): can_probe() keeps it unbound while the PF does not autoprobe
    return vf


def disable(kernel, pf):
    """sriov_disable() -> sriov_del_vfs(): in order, each VF's links, then the device, unbound first, and its group."""
    for index, vf in enumerate(pf.vfs):
        kernel.tree.remove('%s/virtfn%d' % (pf.dev.path, index))
        kernel.tree.remove(vf.path + '/physfn')
        kernel.remove_device(vf)
        group = vf.spec['iommu_group']
        kernel.tree.remove('/sys/kernel/iommu_groups/%d' % group)
        kernel.iommu_ids.put(group)
    pf.vfs = []


@handles('sriov_vf_msix_count')
def h_sriov_vf_msix_count(kernel, vf, node, data):
    """sriov_vf_msix_count_store(), loosely: kstrtoint (EINVAL), then EOPNOTSUPP, as no scenario PF driver has
    sriov_set_msix_vec_count (the kernel's EBUSY/ENOENT checks of the VF's and PF's drivers are not modelled)."""
    try:
        kstrtoul(data.lstrip('-') if data.startswith('-') else data)
    except OSError:
        fail(E.EINVAL)
    fail(E.EOPNOTSUPP)


@reads('sriov_drivers_autoprobe')
def r_sriov_drivers_autoprobe(kernel, node):
    """1 or 0."""
    return '%u\n' % node.owner.autoprobe


@handles('sriov_drivers_autoprobe')
def h_sriov_drivers_autoprobe(kernel, pf, node, data):
    """sriov_drivers_autoprobe_store(): kstrtobool, EINVAL otherwise; it counts for the VFs probed from then on."""
    pf.autoprobe = kstrtobool(data)


def kstrtobool(text):
    """6.1's kstrtobool(): the first character (y/Y/t/T/1, n/N/f/F/0), or o/O then n/N or f/F; else EINVAL."""
    first, second = text[:1], text[1:2]
    if first and first in 'yYtT1':
        return True
    if first and first in 'nNfF0':
        return False
    if first and first in 'oO' and second and second in 'nNfF':
        return second in 'nN'
    fail(E.EINVAL)
