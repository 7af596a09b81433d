"""The simulated host behaves like the kernel's sysfs, through real file I/O on the FUSE mount.

Each fact is one observed on a real 6.1 kernel (tests/kernel checks the PCI and mdev ones
there) or stated in ../shared/reference/s390-sysfs.md for what only s390 has.
"""

import errno
import os

import pytest

E0313 = 'sys/bus/css/devices/0.0.0313'


def write(path, data):
    """One write(2), as echo does; returns the errno or 0."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, data.encode())
        return 0
    except OSError as exc:
        return exc.errno
    finally:
        os.close(fd)


def test_driver_override_reads_null_when_unset(seed):
    assert seed.read(E0313, 'driver_override') == '(null)'


def test_newline_clears_override(seed):
    assert write(seed.path(E0313, 'driver_override'), 'vfio_ccw\n') == 0
    assert seed.read(E0313, 'driver_override') == 'vfio_ccw'
    assert write(seed.path(E0313, 'driver_override'), '\n') == 0
    assert seed.read(E0313, 'driver_override') == '(null)'


def test_override_cut_at_first_newline(seed):
    write(seed.path(E0313, 'driver_override'), 'vfio_ccw\nrest')
    assert seed.read(E0313, 'driver_override') == 'vfio_ccw'


def test_long_override_is_einval_and_logged(seed):
    assert write(seed.path(E0313, 'driver_override'), 'x' * 4096) == errno.EINVAL
    assert seed.read(E0313, 'driver_override') == '(null)'
    assert seed.writes()[-1]['errno'] == errno.EINVAL


def test_none_override_leaves_device_unbound(x86):
    dev = 'sys/bus/pci/devices/0000:00:02.0'
    write(x86.path(dev, 'driver_override'), 'none\n')
    write(x86.path(dev, 'driver', 'unbind'), '0000:00:02.0\n')
    assert write(x86.path('sys/bus/pci/drivers_probe'), '0000:00:02.0\n') == 0
    assert x86.driver('pci', '0000:00:02.0') is None


def test_bind_other_driver_than_override_is_enodev(x86):
    dev = 'sys/bus/pci/devices/0000:00:03.0'
    write(x86.path(dev, 'driver_override'), 'vfio-pci\n')
    assert write(x86.path('sys/bus/pci/drivers/e1000e/bind'), '0000:00:03.0\n') == errno.ENODEV
    assert write(x86.path('sys/bus/pci/drivers/vfio-pci/bind'), '0000:00:03.0\n') == 0
    assert x86.driver('pci', '0000:00:03.0') == 'vfio-pci'
    assert write(x86.path('sys/bus/pci/drivers/vfio-pci/bind'), '0000:00:03.0\n') == errno.EBUSY


def test_unbind_and_probe_binds_override_and_clearing_restores_default(x86):
    dev = 'sys/bus/pci/devices/0000:00:02.0'
    write(x86.path(dev, 'driver_override'), 'vfio-pci\n')
    write(x86.path(dev, 'driver', 'unbind'), '0000:00:02.0\n')
    write(x86.path('sys/bus/pci/drivers_probe'), '0000:00:02.0\n')
    assert x86.driver('pci', '0000:00:02.0') == 'vfio-pci'
    write(x86.path(dev, 'driver_override'), '\n')
    write(x86.path(dev, 'driver', 'unbind'), '0000:00:02.0\n')
    write(x86.path('sys/bus/pci/drivers_probe'), '0000:00:02.0\n')
    assert x86.driver('pci', '0000:00:02.0') == 'e1000e'


def test_unbind_wrong_driver_and_probe_unknown_device_are_enodev(x86):
    assert write(x86.path('sys/bus/pci/drivers/vfio-pci/unbind'), '0000:00:02.0\n') == errno.ENODEV
    assert write(x86.path('sys/bus/pci/drivers_probe'), '0000:09:00.0\n') == errno.ENODEV


def test_css_override_needs_matching_subchannel_type(seed):
    chsc = 'sys/bus/css/devices/0.0.ff40'
    write(seed.path(chsc, 'driver_override'), 'vfio_ccw\n')
    write(seed.path(chsc, 'driver', 'unbind'), '0.0.ff40\n')
    write(seed.path('sys/bus/css/drivers_probe'), '0.0.ff40\n')
    assert seed.driver('css', '0.0.ff40') is None


def test_vfio_ccw_bind_registers_parent_and_unbinding_io_subchannel_removes_ccw_device(seed):
    assert os.path.isdir(seed.path(E0313, '0.0.2b09'))
    write(seed.path(E0313, 'driver_override'), 'vfio_ccw\n')
    write(seed.path(E0313, 'driver', 'unbind'), '0.0.0313\n')
    assert not os.path.exists(seed.path(E0313, '0.0.2b09'))
    assert not os.path.exists(seed.path('sys/bus/ccw/devices/0.0.2b09'))
    write(seed.path('sys/bus/css/drivers_probe'), '0.0.0313\n')
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw'
    assert seed.read(E0313, 'mdev_supported_types/vfio_ccw-io/name') == 'I/O subchannel (Non-QDIO)'
    assert os.path.islink(seed.path('sys/class/mdev_bus/0.0.0313'))


def test_qdio_subchannel_refused_by_vfio_ccw(seed):
    sch = 'sys/bus/css/devices/0.0.0000'
    write(seed.path(sch, 'driver', 'unbind'), '0.0.0000\n')
    assert write(seed.path('sys/bus/css/drivers/vfio_ccw/bind'), '0.0.0000\n') == errno.ENODEV
    assert seed.driver('css', '0.0.0000') is None


MTTY = 'sys/class/mdev_bus/mtty/mdev_supported_types'
UUID = '7e270a25-e163-4922-af60-757fc8ed48c6'


def test_create_makes_device_with_links_and_takes_instances(x86):
    assert x86.read(MTTY, 'mtty-2/available_instances') == '12'
    assert write(x86.path(MTTY, 'mtty-2/create'), UUID + '\n') == 0
    mdev = x86.path('sys/bus/mdev/devices', UUID)
    assert os.readlink(os.path.join(mdev, 'mdev_type')) == '../mdev_supported_types/mtty-2'
    assert os.path.islink(x86.path(MTTY, 'mtty-2/devices', UUID))
    assert x86.read(MTTY, 'mtty-2/available_instances') == '11'
    assert x86.read(MTTY, 'mtty-1/available_instances') == '22'  # the two types share 24 ports
    assert write(x86.path(MTTY, 'mtty-1/create'), UUID + '\n') == errno.EEXIST
    assert write(os.path.join(mdev, 'remove'), '1\n') == 0
    assert not os.path.exists(mdev)
    assert x86.read(MTTY, 'mtty-2/available_instances') == '12'


@pytest.mark.parametrize('value', ['not-a-uuid-at-all-not-a-uuid-at-alll\n', '1234\n', UUID + 'xx\n'])
def test_create_rejects_bad_uuid(x86, value):
    assert write(x86.path(MTTY, 'mtty-1/create'), value) == errno.EINVAL


def test_create_is_write_only(x86):
    with pytest.raises(PermissionError):
        open(x86.path(MTTY, 'mtty-1/create')).read()
    assert oct(os.stat(x86.path(MTTY, 'mtty-1/create')).st_mode & 0o777) == '0o200'


def test_no_instances_left_is_eusers(seed):
    write(seed.path(E0313, 'driver_override'), 'vfio_ccw\n')
    write(seed.path(E0313, 'driver', 'unbind'), '0.0.0313\n')
    write(seed.path('sys/bus/css/drivers_probe'), '0.0.0313\n')
    create = seed.path(E0313, 'mdev_supported_types/vfio_ccw-io/create')
    assert write(create, UUID + '\n') == 0
    assert write(create, 'b29e4ca9-5cdb-4ee1-a01b-79085b9ab237\n') == errno.EUSERS


def test_seed_ap_masks_free_adapter_5_and_domains_for_vfio_ap(seed):
    assert seed.driver('ap', '05.0004') == 'vfio_ap'
    assert seed.driver('ap', '03.0010') == 'cex4queue'
    apmask = int(seed.read('sys/bus/ap/apmask'), 16)
    assert not apmask >> (255 - 5) & 1 and apmask >> (255 - 3) & 1
    assert os.path.isdir(seed.path('sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough'))


def test_write_log_records_path_value_errno(seed):
    write(seed.path('sys/bus/css/drivers_probe'), '0.0.9999\n')
    assert seed.writes() == [{'path': '/sys/bus/css/drivers_probe', 'value': '0.0.9999\n',
                              'errno': errno.ENODEV, 'errname': 'ENODEV'}]


def test_ap_queue_override_needs_default_masks_and_blocks_mask_writes(sim_factory):
    sim = sim_factory('ap-override')
    queue = sim.path('sys/bus/ap/devices/05.0004/driver_override')
    assert write(queue, 'vfio_ap\n') == 0
    assert write(sim.path('sys/bus/ap/apmask'), '-5\n') == errno.EBUSY
    assert write(queue, '\n') == 0
    assert write(sim.path('sys/bus/ap/apmask'), '-5\n') == 0
    assert write(queue, 'vfio_ap\n') == errno.EINVAL
    assert sim.driver('ap', '05.0004') == 'vfio_ap'  # the mask change handed it over


AP_TYPE = 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough'


def test_vfio_ap_assignments_and_their_errno(seed):
    one, two = UUID, 'b29e4ca9-5cdb-4ee1-a01b-79085b9ab237'
    for u in (one, two):
        assert write(seed.path(AP_TYPE, 'create'), u + '\n') == 0

    def dev(u, attr):
        return seed.path('sys/bus/mdev/devices', u, attr)
    assert write(dev(one, 'assign_adapter'), 'five\n') == errno.EINVAL
    assert write(dev(one, 'assign_adapter'), '64\n') == errno.ENODEV  # above ap_max_adapter_id 63
    assert write(dev(one, 'assign_domain'), '0x100\n') == errno.ENODEV
    assert write(dev(one, 'assign_adapter'), '5\n') == 0
    assert write(dev(one, 'assign_domain'), '0x10\n') == 0  # 05.0010: adapter 5 is not the host's
    assert write(dev(one, 'assign_adapter'), '3\n') == errno.EADDRNOTAVAIL  # 03.0010 belongs to the host
    assert write(dev(two, 'assign_domain'), '0x10\n') == 0
    assert write(dev(two, 'assign_adapter'), '5\n') == errno.EADDRINUSE  # 05.0010 is in the first device
    assert write(dev(one, 'assign_control_domain'), '0x2a\n') == 0
    assert seed.read('sys/bus/mdev/devices', one, 'matrix') == '05.0010'
    assert seed.read('sys/bus/mdev/devices', one, 'control_domains') == '002a'
    assert write(dev(one, 'unassign_domain'), '0x10\n') == 0
    assert seed.read('sys/bus/mdev/devices', one, 'matrix') == '05.'
    assert write(seed.path('sys/bus/ap/apmask'), '+5\n') == 0  # no APQN of an mdev becomes the host's
    assert write(dev(one, 'assign_domain'), '0x10\n') == errno.EADDRNOTAVAIL  # 05.0010 is the host's now
    assert write(dev(one, 'assign_domain'), '4\n') == 0  # aqmask still frees domain 4
    assert write(seed.path('sys/bus/ap/apmask'), '-5\n') == 0
    assert write(seed.path('sys/bus/ap/aqmask'), '+4\n') == 0  # 05.0004 stays free: adapter 5 is not the host's
    assert write(seed.path('sys/bus/ap/apmask'), '+5\n') == errno.EBUSY  # would take 05.0004 from the mdev


def test_override_of_4095_bytes_is_einval_as_on_6_1(seed):
    assert write(seed.path(E0313, 'driver_override'), 'x' * 4095) == errno.EINVAL
    assert write(seed.path(E0313, 'driver_override'), 'x' * 4094) == 0


def test_exhausted_mtty_answers_enospc(x86):
    for i in range(12):
        assert write(x86.path(MTTY, 'mtty-2/create'), '%08x-0000-4000-8000-000000000000\n' % i) == 0
    assert write(x86.path(MTTY, 'mtty-2/create'), UUID + '\n') == errno.ENOSPC
