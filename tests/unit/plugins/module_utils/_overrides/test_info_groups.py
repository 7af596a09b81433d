"""What the listing says of IOMMU groups (the x86 host) and of SR-IOV links (a plain-file host built here)."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.info import read_overrides, sriov_links
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.plan import OverrideRequest, plan_overrides
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus

BRIDGE_GROUP = ['0000:00:04.0', '0000:02:01.0', '0000:02:01.1', '0000:02:02.0']


def pci_listing(**options):
    """``{device: entry}`` of the PCI devices read_overrides lists."""
    devices, _persisted, _problems = read_overrides(Host(), ['pci'], **options)
    return dict((d['device'], d) for d in devices)


def test_each_device_lists_the_others_of_its_group_and_whether_vfio_can_use_it(x86):
    listed = pci_listing()
    assert [listed[n]['iommu_group_peers'] for n in BRIDGE_GROUP] == [
        [p for p in BRIDGE_GROUP if p != n] for n in BRIDGE_GROUP]
    assert set(listed[n]['iommu_group_viable'] for n in BRIDGE_GROUP) == {False}
    assert listed['0000:00:03.0']['iommu_group_peers'] == [] and listed['0000:00:03.0']['iommu_group_viable']
    assert listed['0000:00:02.0']['iommu_group_viable'] is False  # e1000e: the host's
    assert 'physfn' not in listed['0000:01:00.0'] and 'virtfns' not in listed['0000:01:00.0']
    assert x86.writes() == []


def test_viability_follows_the_drivers_and_ignores_the_bridge(x86):
    plan_overrides(Host(), [OverrideRequest('pci', '02:01.0', 'vfio-pci', iommu_group=True),
                            OverrideRequest('pci', '01:00.0', 'vfio-pci', iommu_group=True)]).apply()
    listed = pci_listing()
    assert all(listed[n]['iommu_group_viable'] for n in BRIDGE_GROUP + ['0000:01:00.0', '0000:01:00.1'])


def test_devices_left_out_of_the_listing_still_count_for_viability(x86):
    plan_overrides(Host(), [OverrideRequest('pci', '02:01.0', 'vfio-pci')], allow_split_group=True).apply()
    listed = pci_listing(names=['02:01.0'])
    assert list(listed) == ['0000:02:01.0']
    assert listed['0000:02:01.0']['driver'] == 'vfio-pci' and listed['0000:02:01.0']['iommu_group_viable'] is False
    assert listed['0000:02:01.0']['iommu_group_peers'] == ['0000:00:04.0', '0000:02:01.1', '0000:02:02.0']


def link(root, path, target):
    """A relative symlink at ``path`` (below ``root``) to ``target`` (below ``root``)."""
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    os.symlink(os.path.relpath(os.path.join(root, target), os.path.dirname(full)), full)


def sriov_host(tmp_path, vfs=11):
    """A plain-file host: PF 0000:03:00.0 with ``vfs`` VFs from 0000:03:00.1 on, each in a group of its own."""
    root = str(tmp_path)
    pf = '0000:03:00.0'
    names = [pf] + ['0000:03:%02x.%d' % divmod(i + 1, 8) for i in range(vfs)]
    for number, name in enumerate(names):
        path = 'sys/devices/pci0000:00/0000:00:01.0/' + name
        os.makedirs(os.path.join(root, path))
        with open(os.path.join(root, path, 'driver_override'), 'w') as f:
            f.write('(null)\n')
        link(root, 'sys/bus/pci/devices/' + name, path)
        link(root, path + '/iommu_group', 'sys/kernel/iommu_groups/%d' % (20 + number))
        link(root, 'sys/kernel/iommu_groups/%d/devices/%s' % (20 + number, name), path)
        if name != pf:
            link(root, path + '/physfn', 'sys/devices/pci0000:00/0000:00:01.0/' + pf)
            link(root, 'sys/devices/pci0000:00/0000:00:01.0/%s/virtfn%d' % (pf, number - 1), path)
    return Host(root), names


def test_a_pf_lists_its_vfs_in_index_order_and_each_vf_its_pf(tmp_path):
    host, names = sriov_host(tmp_path)
    bus = Bus(host, 'pci')
    assert sriov_links(bus.device(names[0])) == {'virtfns': names[1:]}  # virtfn10 after virtfn9, not after virtfn1
    assert sriov_links(bus.device(names[11])) == {'physfn': '0000:03:00.0'}
    # the whole listing finds the PF's VFs from their physfn links, a listing of the PF alone from its virtfn links
    devices, _persisted, _problems = read_overrides(host, ['pci'])
    assert devices[0]['virtfns'] == names[1:] and devices[0]['iommu_group_peers'] == []
    assert [d['physfn'] for d in devices[1:]] == ['0000:03:00.0'] * 11
    assert all(d['iommu_group_viable'] for d in devices)  # no driver bound anywhere
    alone, _persisted, _problems = read_overrides(host, ['pci'], names=['03:00.0'])
    assert alone == devices[:1]


def test_a_device_without_sriov_links_gets_neither_key(tmp_path):
    host, names = sriov_host(tmp_path, vfs=0)
    assert sriov_links(Bus(host, 'pci').device(names[0])) == {}
