"""The IOMMU's state, the CPU vendor, and when the IOMMU's argument is asked for."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._boot import iommu
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


def host_with(tmp_path, vendor=None, groups=(), units=(), cmdline=None):
    for name, group_name in groups:
        (tmp_path / 'sys' / 'kernel' / 'iommu_groups' / name).mkdir(parents=True)
        if group_name:
            (tmp_path / 'sys' / 'kernel' / 'iommu_groups' / name / 'name').write_text(group_name + '\n')
    for unit in units:
        (tmp_path / 'sys' / 'class' / 'iommu' / unit).mkdir(parents=True)
    (tmp_path / 'proc').mkdir(parents=True, exist_ok=True)
    if vendor:
        (tmp_path / 'proc' / 'cpuinfo').write_text('processor\t: 0\nvendor_id\t: %s\ncpu family\t: 6\n' % vendor)
    if cmdline is not None:
        (tmp_path / 'proc' / 'cmdline').write_text(cmdline + '\n')
    return Host(str(tmp_path))


def test_off_without_groups_or_units(tmp_path):
    assert iommu.state(host_with(tmp_path)) == {'enabled': False, 'groups': 0, 'units': []}


def test_vfio_noiommu_groups_do_not_count(tmp_path):
    host = host_with(tmp_path, groups=[('0', None), ('1', 'vfio-noiommu'), ('2', None)], units=['dmar1', 'dmar0'])
    assert iommu.state(host) == {'enabled': True, 'groups': 2, 'units': ['dmar0', 'dmar1']}
    only_noiommu = host_with(tmp_path / 'x', groups=[('7', 'vfio-noiommu')])
    assert iommu.state(only_noiommu)['enabled'] is False


def test_the_running_command_line_and_the_vendor(tmp_path):
    host = host_with(tmp_path, vendor='AuthenticAMD', cmdline='BOOT_IMAGE=/vmlinuz ro ')
    assert iommu.running_cmdline(host) == 'BOOT_IMAGE=/vmlinuz ro' and iommu.vendor_id(host) == 'AuthenticAMD'
    empty = Host(str(tmp_path / 'none'))
    assert iommu.running_cmdline(empty) == '' and iommu.vendor_id(empty) is None


@pytest.mark.parametrize('choice, vendor, enabled, running, arg', [
    ('auto', 'GenuineIntel', False, '', 'intel_iommu=on'),
    ('auto', 'AuthenticAMD', False, '', 'amd_iommu=on'),
    ('auto', 'HygonGenuine', False, '', 'amd_iommu=on'),
    ('auto', 'GenuineIntel', True, 'ro', None),  # on without it: left alone
    ('auto', 'GenuineIntel', True, 'ro intel_iommu=on', 'intel_iommu=on'),  # on because of it: kept
    ('auto', 'GenuineIntel', True, 'ro intel-iommu=on', 'intel_iommu=on'),
    ('auto', 'CentaurHauls', True, '', None),
    ('intel', 'AuthenticAMD', True, '', 'intel_iommu=on'),
    ('amd', None, True, '', 'amd_iommu=on'),
    ('none', None, False, '', None),
])
def test_the_argument_asked_for(tmp_path, choice, vendor, enabled, running, arg):
    assert iommu.iommu_arg(host_with(tmp_path, vendor), choice, enabled, running) == arg


def test_off_on_a_cpu_of_no_known_vendor_asks_for_a_choice(tmp_path):
    with pytest.raises(InvalidArgument) as exc:
        iommu.iommu_arg(host_with(tmp_path, 'CentaurHauls'), 'auto', False, '')
    assert 'vendor_id CentaurHauls in /proc/cpuinfo is neither Intel nor AMD: set iommu to intel or amd' in exc.value.msg
    assert exc.value.path == '/proc/cpuinfo' and exc.value.extra['field'] == 'iommu'
    with pytest.raises(InvalidArgument) as exc:
        iommu.iommu_arg(host_with(tmp_path / 'x'), 'auto', False, '')
    assert '/proc/cpuinfo names no vendor_id' in exc.value.msg
