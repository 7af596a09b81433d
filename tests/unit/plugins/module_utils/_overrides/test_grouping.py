"""Group mode and the split-group refusal on the x86 host: GPU+audio in group 12, bridge 00:04.0 with 02:01.0,
02:01.1 (one dual-port card) and 02:02.0 behind it in group 9."""

import errno
import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import (BindError, ConfigError,
                                                                                    ConflictError, InvalidArgument,
                                                                                    NotFound)
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._core.tools import Tools
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.grouping import expand_groups
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.plan import (OverrideRequest,
                                                                                       plan_overrides,
                                                                                       requests_by_ids)

BEHIND_BRIDGE = ['0000:02:01.0', '0000:02:01.1', '0000:02:02.0']
HOST_DRIVERS = {'0000:02:01.0': 'e1000', '0000:02:01.1': 'e1000', '0000:02:02.0': 'snd_ens1370'}


def req(device, driver='vfio-pci', **options):
    """A request of a PCI device."""
    return OverrideRequest('pci', device, driver, **options)


def drivers(sim, names):
    """``{name: driver}`` of PCI devices now."""
    return dict((name, sim.driver('pci', name)) for name in names)


def overrides_written(sim):
    """(device, value) of each driver_override write the kernel saw, in order."""
    return [(w['path'].split('/')[-2], w['value'].rstrip('\n')) for w in sim.writes()
            if w['path'].endswith('/driver_override')]


def test_group_mode_stands_for_every_endpoint_in_address_order(x86):
    expanded = expand_groups(Host(), [req('02:02.0', iommu_group=True), req('00:02.0')])
    assert [(r.device, r.via) for r in expanded] == [
        ('0000:02:01.0', '0000:02:02.0'), ('0000:02:01.1', '0000:02:02.0'), ('0000:02:02.0', None),
        ('0000:00:02.0', None)]
    # the bridge names the devices behind it and is left out itself: vfio-pci does not take bridges
    assert [r.device for r in expand_groups(Host(), [req('00:04.0', iommu_group=True)])] == BEHIND_BRIDGE
    assert x86.writes() == []


def test_group_mode_binds_the_whole_group_and_a_second_run_changes_nothing(x86):
    plan = plan_overrides(Host(), [req('02:01.1', iommu_group=True)])
    assert [c.key for c in plan.changes if c.entry] == ['pci/' + n for n in BEHIND_BRIDGE]
    assert plan.warnings == []
    plan.apply()
    assert drivers(x86, BEHIND_BRIDGE) == dict.fromkeys(BEHIND_BRIDGE, 'vfio-pci')
    assert x86.driver('pci', '0000:00:04.0') is None
    assert not plan_overrides(Host(), [req('02:01.1', iommu_group=True)]).changed
    back = plan_overrides(Host(), [req('00:04.0', driver=None, state='absent', iommu_group=True)])
    back.apply()
    assert drivers(x86, BEHIND_BRIDGE) == HOST_DRIVERS


def test_a_device_its_group_brings_in_may_be_listed_with_the_same_options_only(x86):
    plan = plan_overrides(Host(), [req('01:00.0', iommu_group=True), req('01:00.1')])
    assert [c.key for c in plan.changes if c.entry] == ['pci/0000:01:00.0', 'pci/0000:01:00.1']
    with pytest.raises(InvalidArgument) as exc:
        plan_overrides(Host(), [req('01:00.1', persistent=False), req('01:00.0', iommu_group=True)])
    assert exc.value.msg == ('pci device 0000:01:00.1 is asked for twice with different options: on its own and '
                             'as a device of the IOMMU group of 0000:01:00.0')
    with pytest.raises(InvalidArgument) as exc:
        plan_overrides(Host(), [req('01:00.1'), req('0000:01:00.1')])
    assert exc.value.msg == 'pci device 0000:01:00.1 is listed twice'
    assert x86.writes() == []


def test_group_mode_needs_a_pci_device_with_a_group(tmp_path):
    with pytest.raises(InvalidArgument) as exc:
        OverrideRequest('css', '0.0.0313', 'vfio_ccw', iommu_group=True)
    assert exc.value.msg == 'css device 0.0.0313: iommu_group applies to PCI devices only'
    (tmp_path / 'sys/bus/pci/devices/0000:00:1f.0').mkdir(parents=True)  # the IOMMU is off: no iommu_group link
    with pytest.raises(NotFound) as exc:
        expand_groups(Host(str(tmp_path)), [req('00:1f.0', iommu_group=True)])
    assert exc.value.msg.startswith('pci device 0000:00:1f.0 has no IOMMU group '
                                    '(/sys/bus/pci/devices/0000:00:1f.0/iommu_group is missing)')


def test_a_group_of_bridges_alone_has_nothing_to_bind(tmp_path):
    port = tmp_path / 'sys/devices/pci0000:00/0000:00:1c.0'
    (port / 'class').parent.mkdir(parents=True)
    (port / 'class').write_text('0x060400\n')  # a root port, in a group of its own
    (tmp_path / 'sys/bus/pci/devices').mkdir(parents=True)
    (tmp_path / 'sys/kernel/iommu_groups/3/devices').mkdir(parents=True)
    os.symlink('../../../devices/pci0000:00/0000:00:1c.0', str(tmp_path / 'sys/bus/pci/devices/0000:00:1c.0'))
    os.symlink('../../../../devices/pci0000:00/0000:00:1c.0',
               str(tmp_path / 'sys/kernel/iommu_groups/3/devices/0000:00:1c.0'))
    os.symlink('../../../kernel/iommu_groups/3', str(port / 'iommu_group'))
    with pytest.raises(NotFound) as exc:
        expand_groups(Host(str(tmp_path)), [req('00:1c.0', iommu_group=True)])
    assert exc.value.msg == 'IOMMU group 3 of pci device 0000:00:1c.0 has no endpoint, only bridges (0000:00:1c.0)'


def test_one_device_of_a_group_to_vfio_is_refused_naming_the_group_and_every_endpoint(x86):
    with pytest.raises(ConflictError) as exc:  # while planning, which is all check mode does
        plan_overrides(Host(), [req('02:01.0')])
    assert exc.value.msg.startswith(
        'IOMMU group 9 would be split between vfio and host drivers: 0000:02:01.0 (asked for) on vfio-pci, '
        '0000:02:01.1 on e1000, 0000:02:02.0 on snd_ens1370. VFIO can use a group only when ')
    assert 'set iommu_group: true' in exc.value.msg and 'allow_split_group: true' in exc.value.msg
    assert exc.value.device == '0000:02:01.0' and exc.value.path == '/sys/kernel/iommu_groups/9/devices'
    assert exc.value.extra['endpoints'] == dict(HOST_DRIVERS, **{'0000:02:01.0': 'vfio-pci'})
    assert x86.writes() == [] and drivers(x86, BEHIND_BRIDGE) == HOST_DRIVERS


def test_any_driver_that_splits_the_group_is_refused_and_neutral_ones_are_not(x86):
    plan_overrides(Host(), [req('01:00.0', iommu_group=True)]).apply()
    with pytest.raises(ConflictError) as exc:  # the audio function back to the host, the GPU left on vfio-pci
        plan_overrides(Host(), [req('01:00.1', driver=None, state='absent')])
    assert ('0000:01:00.0 on vfio-pci, 0000:01:00.1 (asked for) on (the default driver)' in exc.value.msg)
    with pytest.raises(ConflictError):
        plan_overrides(Host(), [req('01:00.1', driver='snd_hda_intel')])
    assert not plan_overrides(Host(), [req('01:00.1', driver='none')]).warnings  # unbound: the group stays viable
    # a group without vfio drivers is the host's business
    assert not plan_overrides(Host(), [req('02:01.0', driver='none')]).warnings


def test_allow_split_group_goes_ahead_and_warns(x86):
    plan = plan_overrides(Host(), [req('02:01.0')], allow_split_group=True)
    assert plan.warnings == [
        'IOMMU group 9 is split between vfio and host drivers (allow_split_group): 0000:02:01.0 (asked for) on '
        'vfio-pci, 0000:02:01.1 on e1000, 0000:02:02.0 on snd_ens1370; VFIO cannot open the group until each of its '
        'endpoints is on vfio-pci, pci-stub or no driver']
    plan.apply()
    assert x86.driver('pci', '0000:02:01.0') == 'vfio-pci' and x86.driver('pci', '0000:02:01.1') == 'e1000'
    # unchanged, the split is not this run's doing: no refusal, no warning
    assert plan_overrides(Host(), [req('02:01.0')]).warnings == []


class FailingReplace(Tools):
    """Puts files in place as usual, except the one named: there the rename fails (a full or broken disk)."""

    def __init__(self, name):
        self.name = name

    def replace(self, tmp, path):
        """Fail with EIO for the named file."""
        if os.path.basename(path) == self.name:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        super(FailingReplace, self).replace(tmp, path)


def test_a_failure_mid_group_puts_every_device_of_the_group_back_once(x86):
    host = Host(tools=FailingReplace('pci-0000:02:01.1'))
    plan = plan_overrides(host, [req('02:02.0', iommu_group=True)])
    with pytest.raises(ConfigError) as exc:
        plan.apply()
    assert 'writing /etc/driverctl.d/pci-0000:02:01.1 failed: EIO' in exc.value.msg
    assert exc.value.extra['undone'] == ['pci/0000:02:01.0']
    assert drivers(x86, BEHIND_BRIDGE) == HOST_DRIVERS
    assert [x86.read('sys/bus/pci/devices', n, 'driver_override') for n in BEHIND_BRIDGE] == ['(null)'] * 3
    assert not os.listdir(x86.path('etc/driverctl.d'))
    # each write undone exactly once: the failing device by itself, the one before it by the plan;
    # the one after it was never touched
    assert overrides_written(x86) == [('0000:02:01.0', 'vfio-pci'), ('0000:02:01.1', 'vfio-pci'),
                                      ('0000:02:01.1', ''), ('0000:02:01.0', '')]
    binds = [(w['path'].split('/')[-2:], w['value'].rstrip('\n')) for w in x86.writes() if w['path'].endswith('bind')]
    assert binds == [(['e1000', 'unbind'], '0000:02:01.0'), (['e1000', 'unbind'], '0000:02:01.1'),
                     (['vfio-pci', 'unbind'], '0000:02:01.1'), (['e1000', 'bind'], '0000:02:01.1'),
                     (['vfio-pci', 'unbind'], '0000:02:01.0'), (['e1000', 'bind'], '0000:02:01.0')]


def test_a_kernel_refusal_after_the_group_gives_the_whole_group_back(x86):
    # vfio-pci refuses the bridge (EINVAL from its probe): everything the plan bound before is put back
    plan = plan_overrides(Host(), [req('02:01.0', iommu_group=True), req('00:04.0')])
    with pytest.raises(BindError) as exc:
        plan.apply()
    assert 'pci device 0000:00:04.0 did not bind to vfio-pci' in exc.value.msg
    assert exc.value.extra['undone'] == ['pci/0000:02:02.0', 'pci/0000:02:01.1', 'pci/0000:02:01.0']
    assert drivers(x86, BEHIND_BRIDGE) == HOST_DRIVERS and x86.driver('pci', '0000:00:04.0') is None
    assert sorted(overrides_written(x86)) == sorted([(n, v) for n in BEHIND_BRIDGE + ['0000:00:04.0']
                                                     for v in ('vfio-pci', '')])


def test_ids_with_group_mode_take_the_groups_of_the_devices_found(x86):
    requests = requests_by_ids(Host(), ['10de:1eb8'], driver='vfio-pci', iommu_group=True)
    plan = plan_overrides(Host(), requests)
    assert [c.key for c in plan.changes if c.entry] == ['pci/0000:01:00.0', 'pci/0000:01:00.1']
    # both ports of the card match: its group is taken once
    requests = requests_by_ids(Host(), ['8086:100e'], driver='vfio-pci', iommu_group=True)
    assert [c.key for c in plan_overrides(Host(), requests).changes if c.entry] == ['pci/' + n for n in BEHIND_BRIDGE]
    with pytest.raises(InvalidArgument) as exc:
        requests_by_ids(Host(), ['8086:100e'], bus='css', driver='vfio_ccw')
    assert exc.value.msg == "ids select PCI devices; bus must be pci, not 'css'"
