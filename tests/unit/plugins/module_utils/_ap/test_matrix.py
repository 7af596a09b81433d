"""vfio_ap matrices: reading a running device's, what assign/unassign attrs ask for, and the writes between."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._ap.matrix import (
    empty_matrix, is_ap, matrix_writes, read_matrix, wanted_matrix)
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import SysfsError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.readpass import ReadPass

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'


def matrix(adapter=(), domain=(), control_domain=()):
    return {'adapter': set(adapter), 'domain': set(domain), 'control_domain': set(control_domain)}


def device_files(tmp_path, **files):
    """A running mdev's attribute files below a temporary root."""
    d = tmp_path / 'sys' / 'bus' / 'mdev' / 'devices' / UUID
    d.mkdir(parents=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return Host(str(tmp_path))


def test_is_ap_and_the_empty_matrix():
    assert is_ap('vfio_ap-passthrough') and not is_ap('vfio_ccw-io') and not is_ap(None)
    assert empty_matrix() == matrix()


def test_wanted_matrix_applies_assign_and_unassign_in_order():
    attrs = [('assign_adapter', '5'), ('assign_domain', '4'), ('assign_domain', '0x42'), ('unassign_domain', '4'),
             ('assign_control_domain', '0xab'), ('unassign_adapter', '6'), ('name', 'x')]
    assert wanted_matrix(attrs) == matrix({5}, {0x42}, {0xab})


@pytest.mark.parametrize('value, number', [('+5', 5), ('0x10', 16), ('0X1f', 31), ('010', 8), ('0', 0), ('7\n', 7)])
def test_wanted_matrix_reads_numbers_as_the_kernel_kstrtoul_does(value, number):
    assert wanted_matrix([('assign_adapter', value)]) == matrix({number})


@pytest.mark.parametrize('value', ['-1', '0x', '08', '5 ', ' 5', '1_0', '', '++5', str(1 << 64)])
def test_wanted_matrix_skips_values_the_kernel_refuses(value):
    assert wanted_matrix([('assign_domain', '4'), ('assign_domain', value)]) == matrix(domain={4})


def test_matrix_writes_unassign_everything_first_then_assign_by_kind_and_id():
    current = matrix({3, 5}, {4, 0x10}, {4})
    wanted = matrix({5, 6}, {0x42, 4, 0xab}, set())
    assert matrix_writes(current, wanted) == [
        ('unassign_adapter', '0x3'), ('unassign_domain', '0x10'), ('unassign_control_domain', '0x4'),
        ('assign_adapter', '0x6'), ('assign_domain', '0x42'), ('assign_domain', '0xab')]
    assert matrix_writes(wanted, wanted) == []


def test_read_matrix_of_a_running_vfio_ap_device_on_the_seed_host(seed):
    seed.write(UUID, 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create')
    assert read_matrix(Host(), UUID) == matrix()
    for attr, value in (('assign_adapter', '5'), ('assign_domain', '4'), ('assign_domain', '0xab')):
        seed.write(value, 'sys/bus/mdev/devices', UUID, attr)
    assert read_matrix(Host(), UUID) == matrix({5}, {4, 0xab})
    with ReadPass() as dirs:
        assert read_matrix(Host(), UUID, dirs) == matrix({5}, {4, 0xab})


def test_read_matrix_parses_adapters_or_domains_alone_and_control_domains(tmp_path):
    host = device_files(tmp_path, matrix='05.0004\n06.\n.0042\n', control_domains='0004\n00ab\n')
    assert read_matrix(host, UUID) == matrix({5, 6}, {4, 0x42}, {4, 0xab})


def test_read_matrix_is_none_for_a_device_without_one(tmp_path):
    host = device_files(tmp_path, mdev_type='')
    assert read_matrix(host, UUID) is None
    with ReadPass() as dirs:
        assert read_matrix(host, UUID, dirs) is None


def test_a_matrix_that_cannot_be_parsed_is_a_sysfs_error(tmp_path):
    host = device_files(tmp_path, matrix='zz.0004\n')
    with pytest.raises(SysfsError) as exc:
        read_matrix(host, UUID)
    assert exc.value.msg == "mdev %s: cannot read its matrix 'zz.0004'" % UUID
    assert exc.value.path == '/sys/bus/mdev/devices/%s/matrix' % UUID
