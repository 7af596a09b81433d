"""IOMMU groups on the x86 host: members, endpoints without the bridge, the drivers VFIO accepts, viability."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides import groups as g

BRIDGE_GROUP = ['0000:00:04.0', '0000:02:01.0', '0000:02:01.1', '0000:02:02.0']


@pytest.mark.parametrize('driver, vfio, host', [
    ('vfio-pci', True, False),
    ('mlx5_vfio_pci', True, False),
    ('nvgrace_gpu_vfio_pci', True, False),
    ('pci-stub', False, False),
    (None, False, False),
    ('e1000', False, True),
    ('pcieport', False, True),
    ('vfio_pci', False, True),  # not a driver name the kernel registers: the module is vfio_pci, the driver vfio-pci
    ('(the default driver)', False, True),  # what a plan predicts for state=absent: the host's
])
def test_which_drivers_are_vfio_drivers_and_which_the_hosts(driver, vfio, host):
    assert (g.is_vfio_driver(driver), g.is_host_driver(driver)) == (vfio, host)


@pytest.mark.parametrize('pci_class, bridge', [
    ('0x060400', True), ('0x060401', True), ('0x060700', True), ('0x060900', True),
    ('0x060000', False), ('0x068000', False), ('0x020000', False), (None, False), ('', False),
])
def test_bridges_are_known_by_their_class(pci_class, bridge):
    assert g.is_bridge(pci_class) == bridge


def test_members_are_listed_once_with_the_bridge_and_endpoints_leave_it_out(x86):
    groups = g.Groups(Host())
    assert groups.group_of('0000:02:02.0') == '9'
    assert groups.members('9') == BRIDGE_GROUP
    assert groups.endpoints('9') == [('0000:02:01.0', 'e1000'), ('0000:02:01.1', 'e1000'),
                                     ('0000:02:02.0', 'snd_ens1370')]
    assert groups.endpoints('12', g.is_vfio_driver) == []
    assert groups.path('9') == '/sys/kernel/iommu_groups/9/devices'
    assert groups.members('99') == [] and x86.writes() == []


def test_a_group_is_viable_when_no_endpoint_is_on_a_host_driver(x86):
    assert not g.Groups(Host()).viable('9')
    # drivers given (as a plan predicts them) win over the bound ones; the bridge never counts
    on_vfio = dict((name, 'vfio-pci') for name in BRIDGE_GROUP[1:])
    assert g.Groups(Host(), drivers=on_vfio).viable('9')
    assert g.Groups(Host(), drivers=dict(on_vfio, **{'0000:02:02.0': 'pci-stub'})).viable('9')
    assert not g.Groups(Host(), drivers=dict(on_vfio, **{'0000:02:02.0': 'snd_ens1370'})).viable('9')
    assert g.Groups(Host(), drivers={'0000:00:03.0': None}).viable('6')


def test_a_device_without_an_iommu_group_has_none(tmp_path):
    (tmp_path / 'sys/bus/pci/devices/0000:00:1f.0').mkdir(parents=True)
    assert g.Groups(Host(str(tmp_path))).group_of('0000:00:1f.0') is None
