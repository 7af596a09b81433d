"""SR-IOV in the simulated kernel, in-process (simkernel.load), without FUSE.

What each fact is and where it comes from: 6.1's drivers/pci/iov.c (sriov_numvfs_store(), sriov_enable(),
pci_iov_add_virtfn(), sriov_del_vfs(), the sriov_* show functions) and pci-driver.c (pci_device_can_probe()).
"""

import errno
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SIMHOST = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'simhost')
sys.path.insert(0, SIMHOST)
import simkernel  # noqa: E402  (after the path set-up)
from support.kernelio import write  # noqa: E402

PF = '/sys/devices/pci0000:00/0000:00:05.0'
NUMVFS = PF + '/sriov_numvfs'
VFS = ['0000:00:05.%d' % i for i in range(1, 8)]


def x86():
    with open(os.path.join(SIMHOST, 'scenarios', 'x86.yaml')) as f:
        return simkernel.load(yaml.safe_load(f))


def read(kernel, path):
    return kernel.read(kernel.tree.get(path))


def names(kernel, path):
    return sorted(kernel.tree.get(path).children)


def since(kernel, mark):
    return [(e['action'], e['devpath'].rsplit('/', 1)[-1], e['env'].get('DRIVER')) for e in kernel.events[mark:]]


def test_pf_attributes_values_and_modes():
    k = x86()
    shown = dict((name, (read(k, PF + '/' + name), k.tree.get(PF + '/' + name).mode)) for name in
                 ('sriov_totalvfs', 'sriov_numvfs', 'sriov_offset', 'sriov_stride', 'sriov_vf_device',
                  'sriov_drivers_autoprobe'))
    assert shown == {'sriov_totalvfs': ('7\n', 0o444), 'sriov_numvfs': ('0\n', 0o644), 'sriov_offset': ('1\n', 0o444),
                     'sriov_stride': ('1\n', 0o444), 'sriov_vf_device': ('10\n', 0o444),  # "%x": no 0x
                     'sriov_drivers_autoprobe': ('1\n', 0o644)}
    assert k.buses['pci'].devices['0000:00:05.0'].driver.name == 'nvme'
    assert not any(n.startswith('sriov_') for n in names(k, '/sys/devices/pci0000:00/0000:00:02.0'))


def test_creating_vfs_makes_devices_links_groups_and_probes_them():
    k = x86()
    mark = len(k.events)
    assert write(k, NUMVFS, '3\n') == 0
    assert read(k, NUMVFS) == '3\n'
    assert since(k, mark) == [(action, vf, driver) for vf in VFS[:3]
                              for action, driver in (('add', None), ('bind', 'nvme'))]
    vf = '/sys/devices/pci0000:00/0000:00:05.1'  # a sibling of the PF (virtfn->dev.parent = the PF's parent)
    assert k.tree.get(PF + '/virtfn0').target == vf and k.tree.get(PF + '/virtfn2').target.endswith('05.3')
    assert k.tree.get(vf + '/physfn').target == PF
    assert k.tree.get('/sys/bus/pci/devices/0000:00:05.1').target == vf
    ids = (read(k, vf + '/vendor'), read(k, vf + '/device'), read(k, vf + '/class'))
    assert ids == ('0x1b36\n', '0x0010\n', '0x010802\n')
    # of the sriov_* attributes a VF has only sriov_vf_msix_count (write-only), as 6.1 shows in the x86 lab
    assert [n for n in names(k, vf) if n.startswith('sriov_')] == ['sriov_vf_msix_count']
    assert 'driver_override' in names(k, vf)
    groups = [k.tree.get('/sys/devices/pci0000:00/%s/iommu_group' % name).target for name in VFS[:3]]
    assert groups == ['/sys/kernel/iommu_groups/1', '/sys/kernel/iommu_groups/2', '/sys/kernel/iommu_groups/3']
    assert names(k, '/sys/kernel/iommu_groups/1/devices') == ['0000:00:05.1']  # each VF alone, as behind ACS


def test_zero_removes_every_vf_unbound_first():
    k = x86()
    write(k, NUMVFS, '2')
    mark = len(k.events)
    assert write(k, NUMVFS, '0\n') == 0
    assert since(k, mark) == [('unbind', VFS[0], None), ('remove', VFS[0], None),
                              ('unbind', VFS[1], None), ('remove', VFS[1], None)]
    assert read(k, NUMVFS) == '0\n'
    assert not any(n.startswith('virtfn') for n in names(k, PF))
    assert '0000:00:05.1' not in k.buses['pci'].devices and k.tree.get('/sys/devices/pci0000:00/0000:00:05.1') is None
    assert k.tree.get('/sys/bus/pci/drivers/nvme/0000:00:05.1') is None
    assert k.tree.get('/sys/kernel/iommu_groups/1') is None
    write(k, NUMVFS, '1')
    assert k.tree.get('/sys/devices/pci0000:00/0000:00:05.1/iommu_group').target.endswith('/1')  # freed, reused


def test_store_errors_in_the_kernels_order():
    k = x86()
    assert [write(k, NUMVFS, text) for text in ('x\n', '-1', '1 ', '65536', '0x10000')] == [errno.EINVAL] * 5
    assert write(k, NUMVFS, '8') == errno.ERANGE
    assert write(k, NUMVFS, '0x7') == 0 and read(k, NUMVFS) == '7\n'  # kstrtou16 base 0
    assert write(k, NUMVFS, '07') == 0  # the same count: success, nothing done
    assert write(k, NUMVFS, '2') == errno.EBUSY
    assert read(k, NUMVFS) == '7\n'


def test_no_driver_or_no_sriov_configure_is_enoent_but_the_same_count_succeeds():
    k = x86()
    assert write(k, '/sys/bus/pci/drivers/nvme/unbind', '0000:00:05.0') == 0
    assert write(k, NUMVFS, '0') == 0  # the same count is checked before the driver
    assert write(k, NUMVFS, '9') == errno.ERANGE  # and totalvfs before that
    assert write(k, NUMVFS, '1') == errno.ENOENT
    write(k, PF + '/driver_override', 'vfio-pci\n')
    assert write(k, '/sys/bus/pci/drivers_probe', '0000:00:05.0') == 0
    assert k.buses['pci'].devices['0000:00:05.0'].driver.name == 'vfio-pci'
    assert write(k, NUMVFS, '1') == errno.ENOENT  # vfio-pci's callback refuses without enable_sriov


def test_vfs_stay_when_the_pf_driver_unbinds():
    k = x86()
    write(k, NUMVFS, '2')
    assert write(k, '/sys/bus/pci/drivers/nvme/unbind', '0000:00:05.0') == 0
    assert read(k, NUMVFS) == '2\n' and '0000:00:05.2' in k.buses['pci'].devices  # pci_iov_remove() only warns
    assert write(k, NUMVFS, '0') == errno.ENOENT


def test_without_autoprobe_vfs_stay_unbound_until_an_override_names_a_driver():
    k = x86()
    assert [write(k, PF + '/sriov_drivers_autoprobe', t) for t in ('x', 'o', '2', 'ox')] == [errno.EINVAL] * 4
    assert write(k, PF + '/sriov_drivers_autoprobe', 'off\n') == 0
    assert read(k, PF + '/sriov_drivers_autoprobe') == '0\n'
    mark = len(k.events)
    write(k, NUMVFS, '2')
    assert since(k, mark) == [('add', VFS[0], None), ('add', VFS[1], None)]
    assert write(k, '/sys/bus/pci/drivers/nvme/bind', VFS[0]) == errno.ENODEV  # pci_device_can_probe()
    assert write(k, '/sys/bus/pci/drivers_probe', VFS[0]) == 0
    assert k.buses['pci'].devices[VFS[0]].driver is None
    write(k, '/sys/devices/pci0000:00/%s/driver_override' % VFS[0], 'vfio-pci\n')
    assert write(k, '/sys/bus/pci/drivers_probe', VFS[0]) == 0
    assert k.buses['pci'].devices[VFS[0]].driver.name == 'vfio-pci'
    for text, value in (('y', '1'), ('N', '0'), ('true', '1'), ('f', '0'), ('on', '1'), ('0', '0')):
        write(k, PF + '/sriov_drivers_autoprobe', text)
        assert read(k, PF + '/sriov_drivers_autoprobe') == value + '\n'


def test_routing_ids_carry_into_the_bus_number_and_the_bridge_range_limits_them():
    spec = {'buses': {'pci': {'drivers': [{'name': 'ixgbe', 'match': {'device': '0x10fb'}, 'sriov_configure': True}],
                              'devices': [{'name': '0000:05:00.0', 'path': 'pci0000:00/0000:00:1c.0/0000:05:00.0',
                                           'attrs': {'vendor': '0x8086', 'device': '0x10fb', 'class': '0x020000'},
                                           'iommu_group': 3,
                                           'sriov': {'totalvfs': 4, 'vf_device': '0x10ed', 'offset': 248,
                                                     'stride': 4, 'bus_end': 5}}]}}}
    k = simkernel.load(spec)
    numvfs = '/sys/devices/pci0000:00/0000:00:1c.0/0000:05:00.0/sriov_numvfs'
    assert write(k, numvfs, '3') == errno.ENOMEM  # VF 2 would be 06:00.0, past the bridge's bus 05
    assert read(k, numvfs) == '0\n' and k.events[-1]['action'] == 'bind'  # nothing created
    assert write(k, numvfs, '2') == 0
    assert [k.tree.get('/sys/devices/pci0000:00/0000:00:1c.0/0000:05:00.0/virtfn%d' % i).target.rsplit('/', 1)[-1]
            for i in range(2)] == ['0000:05:1f.0', '0000:05:1f.4']
    spec['buses']['pci']['devices'][0]['sriov']['bus_end'] = 0xff
    k = simkernel.load(spec)
    assert write(k, numvfs, '4') == 0
    assert sorted(k.buses['pci'].devices) == ['0000:05:00.0', '0000:05:1f.0', '0000:05:1f.4', '0000:06:00.0',
                                              '0000:06:00.4']
    assert read(k, '/sys/devices/pci0000:00/0000:00:1c.0/0000:06:00.0/device') == '0x10ed\n'
