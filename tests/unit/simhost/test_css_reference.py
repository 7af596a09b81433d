"""The simulated channel subsystem against what a real s390x 6.1 kernel did (s390-real-kernel.txt, section 5).

The s390x lab (tests/kernel/s390, make test-kernel) compares the simulator with the kernel through
tests/kernel/conformance.py; these are the same facts in-process, so that a change of the simulator
that breaks one is seen without QEMU. The simulator is loaded from the seed scenario.
"""

import errno
import os
import sys

import pytest
import yaml

SIMHOST = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'simhost')
sys.path.insert(0, SIMHOST)
import simkernel  # noqa: E402  (after the path set-up)
from support.kernelio import write  # noqa: E402

CIO = '/proc/cio_ignore'
SCH = '/sys/devices/css0/0.0.0313'
CCW = SCH + '/0.0.2b09'


@pytest.fixture
def k():
    """The seed host with every device number on cio_ignore (as after ``add all``)."""
    with open(os.path.join(SIMHOST, 'scenarios', 'seed.yaml')) as f:
        kernel = simkernel.load(yaml.safe_load(f))
    write(kernel, CIO, 'add all\n')
    return kernel


def read(kernel, path):
    """The text of an attribute."""
    return kernel.read(kernel.tree.get(path))


def ignored(kernel, ssid, devno):
    """True if the device number is on the cio_ignore list."""
    return (ssid, devno) in kernel.blacklist


# (write, errno, device numbers freed by it, device numbers it leaves ignored); from section 5
CIO_WRITES = [
    ('free 0.0.0314\n', 0, [0x314], []), ('bogus 0.0.0315', errno.EINVAL, [], [0x315]),
    ('FREE 0.0.0399', errno.EINVAL, [], [0x399]), ('free', 0, [], []), ('free\n', 0, [], []), ('add', 0, [], []),
    (' free 0.0.0397', errno.EINVAL, [], [0x397]), ('free  0.0.0398', errno.EINVAL, [], [0x398]),
    ('free 0.0.0314, 0.0.0316', errno.EINVAL, [0x314], [0x316]), ('free 00.0.0396', 0, [0x396], []),
    ('free 0.0.0395 ', 0, [0x395], []), ('free 0.0.0389\t', 0, [0x389], []), ('free 0.0.315', errno.EINVAL, [], [0x315]),
    ('free 315', 0, [0x315], []), ('free 0x388', 0, [0x388], []), ('free 00000313', 0, [0x313], []),
    ('free fe.0.0315', errno.EINVAL, [], [0x315]), ('free 0.4.0000', errno.EINVAL, [], []),
    ('free 0.0.0318-0.0.0317', errno.EINVAL, [], [0x317, 0x318]), ('free 0.0.0316,zzz', errno.EINVAL, [0x316], []),
    ('free 0.0.0392,', errno.EINVAL, [0x392], []), ('free 0.0.0391,,0.0.0390', errno.EINVAL, [0x391, 0x390], []),
    ('free 0.0.0393 0.0.0394', errno.EINVAL, [], [0x393, 0x394]), ('free ipldev', 0, [], []),
    ('free condev', 0, [], []), ('purge now', 0, [], []),
]


@pytest.mark.parametrize('data, code, freed, kept', CIO_WRITES)
def test_cio_ignore_writes(k, data, code, freed, kept):
    assert write(k, CIO, data) == code
    assert [d for d in freed if ignored(k, 0, d)] == []
    assert [d for d in kept if not ignored(k, 0, d)] == []


def test_cio_ignore_ranges_cross_subchannel_sets_and_negate(k):
    assert write(k, CIO, 'free 0.0.2c00-0.0.2cff,!0.0.2c05') == 0
    assert read(k, CIO).startswith('0.0.0000-0.0.2bff\n0.0.2c05\n0.0.2d00-0.0.ffff\n')
    assert write(k, CIO, 'free 0.0.0387-0.1.0001') == 0
    assert not ignored(k, 0, 0xffff) and not ignored(k, 1, 1) and ignored(k, 1, 2) and ignored(k, 0, 0x386)
    assert write(k, CIO, 'free all') == 0
    assert read(k, CIO) == ''


def test_purge_keeps_online_devices_and_subchannels_without_one(k):
    assert write(k, SCH + '/driver_override', 'vfio_ccw\n') == 0
    assert write(k, '/sys/bus/css/drivers/io_subchannel/unbind', '0.0.0313\n') == 0
    assert write(k, CIO, 'purge') == 0
    # 0.0.0313 has no ccw device now (ccw_purge_blacklisted walks ccw devices); 0.0.0314's is online
    assert k.tree.get(SCH) is not None and k.tree.get('/sys/devices/css0/0.0.0314') is not None


def test_purge_takes_an_offline_ignored_device(k):
    assert write(k, '/sys/devices/css0/0.0.0314/0.0.2b0a/online', '0\n') == 0
    assert write(k, CIO, 'purge\n') == 0
    assert k.tree.get('/sys/devices/css0/0.0.0314') is None


def test_ccw_online_writes(k):
    online = CCW + '/online'
    assert [write(k, online, d) for d in ('1\n', 'x\n', ' 0\n', '0\n', '0\n', '1\n', 'force\n', 'f')] == \
        [errno.EINVAL, errno.EINVAL, errno.EINVAL, 0, errno.EINVAL, 0, 0, 0]
    assert read(k, online) == '1\n'


def test_layouts_have_no_power_and_no_ccw_driver_override(k):
    sch, ccw = k.tree.get(SCH).children, k.tree.get(CCW).children
    assert 'power' not in sch and 'power' not in ccw
    assert 'logging' in sch and 'vpm' in sch and 'driver_override' in sch
    assert 'driver_override' not in ccw and 'cmb_enable' in ccw
    assert read(k, CCW + '/uevent') == ('DRIVER=dasd-eckd\nCU_TYPE=3990\nCU_MODEL=E9\nDEV_TYPE=3390\nDEV_MODEL=0C\n'
                                        'MODALIAS=ccw:t3990mE9dt3390dm0C\n')
    assert sorted(k.tree.get('/sys/devices/css0').children)[-5:] == [
        'defunct', 'pools', 'real_cssid', 'rescan', 'uevent']


def test_zero_byte_override_write_changes_nothing(k):
    write(k, SCH + '/driver_override', 'vfio_ccw\n')
    assert write(k, SCH + '/driver_override', '') == 0
    assert read(k, SCH + '/driver_override') == 'vfio_ccw\n'


def test_vfio_ccw_mdevs_groups_and_uevent(k):
    for sch in ('0.0.0313', '0.0.0314'):
        write(k, '/sys/devices/css0/%s/driver_override' % sch, 'vfio_ccw\n')
        write(k, '/sys/bus/css/drivers/io_subchannel/unbind', sch + '\n')
        assert write(k, '/sys/bus/css/drivers_probe', sch + '\n') == 0
    uuids = ['7e270a12-0000-4000-8000-00000000000%d' % i for i in range(2)]
    for sch, uuid in zip(('0.0.0313', '0.0.0314'), uuids):
        path = '/sys/devices/css0/%s/mdev_supported_types/vfio_ccw-io/create' % sch
        assert write(k, path, uuid.upper() + '\n') == 0
    m = '/sys/devices/css0/0.0.0313/' + uuids[0]
    assert read(k, m + '/uevent') == 'DRIVER=vfio_ccw_mdev\n'
    assert k.tree.get(m + '/iommu_group').target == '/sys/kernel/iommu_groups/0'
    assert k.tree.get('/sys/devices/css0/0.0.0314/%s/iommu_group' % uuids[1]).target == '/sys/kernel/iommu_groups/1'
    assert read(k, '/sys/kernel/iommu_groups/0/name') == 'vfio-noiommu\n'
    assert write(k, m + '/remove', '1\n') == 0
    assert k.tree.get('/sys/kernel/iommu_groups/0') is None
    assert write(k, '/sys/devices/css0/0.0.0313/mdev_supported_types/vfio_ccw-io/create', uuids[0]) == 0
    assert k.tree.get(m + '/iommu_group').target == '/sys/kernel/iommu_groups/0'  # the lowest free id again
    # unbinding the mdev from its driver leaves it; nothing binds it again (6.1 mdev_match)
    assert write(k, '/sys/bus/mdev/drivers/vfio_ccw_mdev/unbind', uuids[0] + '\n') == 0
    assert k.tree.get(m) is not None and k.tree.get(m + '/driver') is None
    assert write(k, '/sys/bus/mdev/drivers_probe', uuids[0] + '\n') == 0
    assert write(k, '/sys/bus/mdev/drivers/vfio_ccw_mdev/bind', uuids[0] + '\n') == errno.ENODEV
    assert k.tree.get(m + '/driver') is None
