"""Reading SR-IOV from sysfs: the PF's counts, its VFs' links, and the addresses VFs get."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import SysfsError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._sriov import sysfs
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus

PF = '0000:00:05.0'


def pci(name):
    return Bus(Host(), 'pci').device(name)


def test_pf_counts_and_links(x86):
    pf = pci(PF)
    assert sysfs.is_pf(pf) and not sysfs.is_pf(pci('0000:00:02.0'))
    assert (sysfs.totalvfs(pf), sysfs.numvfs(pf), sysfs.drivers_autoprobe(pf), sysfs.virtfns(pf)) == (7, 0, True, [])
    assert sysfs.physfn(pf) is None
    x86.write('3', 'sys/bus/pci/devices', PF, 'sriov_numvfs')
    assert sysfs.numvfs(pf) == 3
    assert sysfs.virtfns(pf) == ['0000:00:05.1', '0000:00:05.2', '0000:00:05.3']
    assert sysfs.physfn(pci('0000:00:05.2')) == PF and not sysfs.is_pf(pci('0000:00:05.2'))
    assert sysfs.predicted_vfs(pf, 3) == sysfs.virtfns(pf)
    x86.write('0', 'sys/bus/pci/devices', PF, 'sriov_drivers_autoprobe')
    assert sysfs.drivers_autoprobe(pf) is False


def test_virtfn_links_in_index_order_not_name_order(tmp_path):
    base = tmp_path / 'sys/devices/pci0000:00'
    os.makedirs(str(base / PF))
    os.makedirs(str(tmp_path / 'sys/bus/pci/devices'))
    os.symlink(str(base / PF), str(tmp_path / 'sys/bus/pci/devices' / PF))
    for i in range(12):
        name = '0000:01:%02x.%d' % (i // 8, i % 8)
        os.makedirs(str(base / name))
        os.symlink('../' + name, str(base / PF / ('virtfn%d' % i)))
    (base / PF / 'sriov_numvfs').write_text('twelve\n')
    pf = Bus(Host(str(tmp_path)), 'pci').device(PF)
    assert sysfs.virtfns(pf)[9:] == ['0000:01:01.1', '0000:01:01.2', '0000:01:01.3']
    with pytest.raises(SysfsError) as exc:
        sysfs.numvfs(pf)
    assert exc.value.msg == "pci device %s: /sys/bus/pci/devices/%s/sriov_numvfs reads 'twelve', not a number" % (PF, PF)


@pytest.mark.parametrize('pf, offset, stride, index, vf', [
    ('0000:00:05.0', 1, 1, 6, '0000:00:05.7'),
    ('0000:3b:00.0', 128, 2, 0, '0000:3b:10.0'),  # an 82599's PF 0: VFs at 10.0, 10.2, ...
    ('0000:3b:00.1', 128, 2, 1, '0000:3b:10.3'),
    ('0000:05:00.0', 248, 4, 2, '0000:06:00.0'),  # past devfn ff: the carry goes into the bus number
])
def test_vf_address_from_routing_ids(pf, offset, stride, index, vf):
    assert sysfs.vf_address(pf, offset, stride, index) == vf
