"""What an unbind would take: mdev children, interfaces that are up, mounted disks, QDIO subchannels."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides import inuse
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus

NIC = '0000:00:02.0'


def put(root, path, text):
    """Write a file below a plain-file root."""
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'w') as f:
        f.write(text)


def pci_host(tmp_path):
    """A plain-file host: a NIC with eth0 up and an NVMe namespace mounted on /data below it."""
    root = str(tmp_path)
    dev = 'sys/devices/pci0000:00/' + NIC
    put(root, dev + '/net/eth0/operstate', 'up\n')
    put(root, dev + '/net/eth1/operstate', 'down\n')
    put(root, dev + '/nvme/nvme0/nvme0n1/size', '1\n')
    os.makedirs(os.path.join(root, 'sys/bus/pci/devices'))
    os.symlink('../../../devices/pci0000:00/' + NIC, os.path.join(root, 'sys/bus/pci/devices', NIC))
    os.makedirs(os.path.join(root, 'sys/class/block'))
    os.symlink('../../devices/pci0000:00/%s/nvme/nvme0/nvme0n1' % NIC, os.path.join(root, 'sys/class/block/nvme0n1'))
    put(root, 'proc/mounts', '/dev/nvme0n1 /data xfs rw 0 0\n/dev/sda1 / ext4 rw 0 0\n')
    return Host(root)


def test_interfaces_up_and_mounted_disks_of_a_pci_device(tmp_path):
    host = pci_host(tmp_path)
    dev = Bus(host, 'pci').device(NIC)
    assert inuse.users(host, dev, {}) == ['network interface eth0 (up)', '/dev/nvme0n1 mounted on /data']


def test_running_mdevs_by_parent():
    running = {'b': ('0.0.0313', 'vfio_ccw-io'), 'a': ('matrix', 'vfio_ap-passthrough')}
    assert inuse.running_children(running) == {'0.0.0313': [('b', 'vfio_ccw-io')],
                                               'matrix': [('a', 'vfio_ap-passthrough')]}


def test_qdio_subchannel_is_recognised(seed):
    css = Bus(Host(), 'css')
    assert 'QDIO device 0.0.f500 (control unit 1731/01)' in inuse.qdio(css.device('0.0.0000'))
    assert inuse.qdio(css.device('0.0.0313')) is None
