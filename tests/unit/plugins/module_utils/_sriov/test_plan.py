"""SR-IOV counts through the library alone, against the simulated host; the undo rule from its write log."""

import errno
import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import (
    ConfigError, InUseError, InvalidArgument, NotFound, SysfsError)
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._sriov.plan import SriovRequest, plan_sriov

PF = '0000:00:05.0'
NUMVFS = '/sys/devices/pci0000:00/0000:00:05.0/sriov_numvfs'
RULES = 'etc/udev/rules.d/70-vfio-passthrough-sriov.rules'

# Two PFs of an 82599-like NIC behind a root port whose bus range ends at 05: VF 2 of the first
# would be 06:00.0, so sriov_enable() refuses 3 VFs there (ENOMEM) while it takes 2.
TWO_PFS = '''
buses:
  pci:
    drivers:
      - {name: ixgbe, match: {device: "0x10fb"}, sriov_configure: true}
      - {name: ixgbevf, match: {device: "0x10ed"}}
      - {name: vfio-pci}
    devices:
      - name: "0000:05:00.0"
        path: pci0000:00/0000:00:1c.0/0000:05:00.0
        attrs: {vendor: "0x8086", device: "0x10fb", class: "0x020000"}
        iommu_group: 30
        sriov: {totalvfs: 4, vf_device: "0x10ed", offset: 248, stride: 4, bus_end: 5}
      - name: "0000:05:00.1"
        path: pci0000:00/0000:00:1c.0/0000:05:00.1
        attrs: {vendor: "0x8086", device: "0x10fb", class: "0x020000"}
        iommu_group: 31
        sriov: {totalvfs: 4, vf_device: "0x10ed", offset: 127, stride: 2, bus_end: 5}
'''


@pytest.fixture
def nic(sim_factory, tmp_path):
    """The two-PF host."""
    path = tmp_path / 'two-pfs.yaml'
    path.write_text(TWO_PFS)
    return sim_factory(str(path), name='nic')


def plan(*requests):
    return plan_sriov(Host(), list(requests))


def counts(sim):
    """(attribute, value, errno name) of every sriov_* write so far."""
    return [(w['path'].rsplit('/', 2)[-2] + '/' + w['path'].rsplit('/', 1)[-1], w['value'].rstrip('\n'), w['errname'])
            for w in sim.writes()]


def test_planning_only_reads_and_predicts(x86):
    before = x86.snapshot()
    p = plan(SriovRequest('00:05.0', 3))
    assert p.changed
    assert p.changes[0].actions == ['create 3 VFs (write 3 to /sys/bus/pci/devices/0000:00:05.0/sriov_numvfs)',
                                    'persist 3 VFs at boot in /' + RULES]
    report = p.report(False)
    assert report['devices'][0]['vfs'] == ['0000:00:05.1', '0000:00:05.2', '0000:00:05.3']
    assert report['rule']['lines'] == ['ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="0000:00:05.0", '
                                       'ATTR{sriov_numvfs}="3"']
    assert x86.writes() == [] and x86.snapshot() == before


def test_apply_creates_persists_and_is_then_idempotent(x86):
    p = plan(SriovRequest(PF, 3))
    predicted = p.report(False)
    p.apply()
    assert p.report(True) == predicted
    assert counts(x86) == [('0000:00:05.0/sriov_numvfs', '3', '')]
    assert x86.read(RULES).splitlines()[-1].endswith('KERNEL=="0000:00:05.0", ATTR{sriov_numvfs}="3"')
    assert [x86.driver('pci', '0000:00:05.%d' % i) for i in (1, 2, 3)] == ['nvme'] * 3
    again = plan(SriovRequest(PF, 3))
    assert not again.changed and again.report(False)['devices'][0]['actions'] == []


def test_another_count_writes_zero_first(x86):
    plan(SriovRequest(PF, 3)).apply()
    x86.clear_log()
    p = plan(SriovRequest(PF, 5, persistent=False))
    assert [a.split(' (')[0] for a in p.changes[0].actions] == ['remove the 3 VFs', 'create 5 VFs']
    p.apply()
    assert counts(x86) == [('0000:00:05.0/sriov_numvfs', '0', ''), ('0000:00:05.0/sriov_numvfs', '5', '')]
    assert p.report(True)['devices'][0]['persisted'] == 3  # persistent=false: the rule is left as it is


def test_above_totalvfs_is_refused_before_any_write(x86):
    with pytest.raises(InvalidArgument) as exc:
        plan(SriovRequest(PF, 8))
    assert exc.value.msg == ('pci device 0000:00:05.0: numvfs 8 is above sriov_totalvfs 7 '
                             '(/sys/bus/pci/devices/0000:00:05.0/sriov_totalvfs); the kernel refuses it (ERANGE)')
    assert exc.value.result()['errno'] == 'ERANGE' and exc.value.path.endswith('/sriov_numvfs')
    assert exc.value.value == '8' and exc.value.device == PF
    assert x86.writes() == []


def test_no_driver_is_refused_before_any_write(x86):
    x86.write(PF, 'sys/bus/pci/drivers/nvme/unbind')
    x86.clear_log()
    with pytest.raises(NotFound) as exc:
        plan(SriovRequest(PF, 1))
    assert 'no driver is bound' in exc.value.msg and exc.value.result()['errno'] == 'ENOENT'
    assert not plan(SriovRequest(PF, 0)).changes[0].actions  # nothing to change: no driver needed
    assert x86.writes() == []


@pytest.mark.parametrize('name, words', [
    ('0000:00:02.0', 'pci device 0000:00:02.0 is not an SR-IOV physical function'),
    ('0000:00:09.0', 'pci device 0000:00:09.0 does not exist'),
])
def test_what_is_no_pf_is_refused(x86, name, words):
    with pytest.raises(NotFound) as exc:
        plan(SriovRequest(name, 1))
    assert exc.value.msg.startswith(words)


def test_a_vf_says_whose_it_is_and_requests_are_checked(x86):
    plan(SriovRequest(PF, 1, persistent=False)).apply()
    with pytest.raises(NotFound) as exc:
        plan(SriovRequest('00:05.1', 1))
    assert exc.value.msg.endswith('; it is a virtual function of 0000:00:05.0')
    with pytest.raises(InvalidArgument) as exc:
        plan(SriovRequest(PF, 1), SriovRequest('00:05.0', 2))
    assert exc.value.msg == 'pci device 0000:00:05.0 is listed twice'
    for bad in (-1, 65536, '2', True, None):
        with pytest.raises(InvalidArgument) as exc:
            SriovRequest(PF, bad)
        assert exc.value.extra['field'] == 'numvfs'


def test_a_vf_bound_to_vfio_pci_is_not_removed_without_force(x86):
    plan(SriovRequest(PF, 2)).apply()
    vf = 'sys/bus/pci/devices/0000:00:05.2'
    x86.write('vfio-pci', vf, 'driver_override')
    x86.write('0000:00:05.2', vf, 'driver/unbind')
    x86.write('0000:00:05.2', 'sys/bus/pci/drivers_probe')
    assert x86.driver('pci', '0000:00:05.2') == 'vfio-pci'
    x86.clear_log()
    with pytest.raises(InUseError) as exc:
        plan(SriovRequest(PF, 0))
    assert exc.value.msg == ('pci device 0000:00:05.0: changing the number of VFs from 2 to 0 removes every VF first, '
                             'and these are in use: 0000:00:05.2: bound to vfio-pci (a guest may hold it); stop their '
                             'users first, or set force: true to take them knowingly')
    assert exc.value.extra['users'] == ['0000:00:05.2: bound to vfio-pci (a guest may hold it)']
    assert x86.writes() == []
    forced = plan(SriovRequest(PF, 1, force=True))
    assert forced.warnings == ['forced: removing the VFs of pci device 0000:00:05.0 took 0000:00:05.2: bound to '
                               'vfio-pci (a guest may hold it)']
    forced.apply()
    entry = forced.report(True)['devices'][0]
    assert (entry['numvfs'], entry['vfs'], entry['taken']) == (1, ['0000:00:05.1'], exc.value.extra['users'])
    assert x86.driver('pci', '0000:00:05.1') == 'nvme'


def test_an_interface_up_on_a_vf_is_in_use(tmp_path):
    """On a plain-file host (planning only reads): a VF whose network interface is up."""
    base = tmp_path / 'sys/devices/pci0000:00'
    for name, files in ((PF, {'sriov_totalvfs': '7', 'sriov_numvfs': '1', 'sriov_offset': '1', 'sriov_stride': '1',
                              'sriov_drivers_autoprobe': '1'}), ('0000:00:05.1', {'net/eth1/operstate': 'up'})):
        for rel, text in files.items():
            os.makedirs(str((base / name / rel).parent), exist_ok=True)
            (base / name / rel).write_text(text + '\n')
    os.makedirs(str(tmp_path / 'sys/bus/pci/devices'))
    os.makedirs(str(tmp_path / 'sys/bus/pci/drivers/ixgbe'))
    os.symlink('../../../devices/pci0000:00/' + PF, str(tmp_path / 'sys/bus/pci/devices' / PF))
    os.symlink('../../../devices/pci0000:00/0000:00:05.1', str(tmp_path / 'sys/bus/pci/devices/0000:00:05.1'))
    os.symlink('../0000:00:05.1', str(base / PF / 'virtfn0'))
    os.symlink('../../../bus/pci/drivers/ixgbe', str(base / PF / 'driver'))
    with pytest.raises(InUseError) as exc:
        plan_sriov(Host(str(tmp_path)), [SriovRequest(PF, 2)])
    assert exc.value.extra['users'] == ['0000:00:05.1: network interface eth1 (up)']


def test_drivers_autoprobe_off_first_so_no_host_driver_takes_the_vfs(x86):
    p = plan(SriovRequest(PF, 2, drivers_autoprobe=False))
    assert p.changes[0].actions[0] == 'set /sys/bus/pci/devices/0000:00:05.0/sriov_drivers_autoprobe to 0'
    assert p.changes[0].actions[-1] == 'persist 2 VFs (not autoprobed) at boot in /' + RULES
    p.apply()
    assert counts(x86) == [('0000:00:05.0/sriov_drivers_autoprobe', '0', ''), ('0000:00:05.0/sriov_numvfs', '2', '')]
    assert x86.driver('pci', '0000:00:05.1') is None and x86.driver('pci', '0000:00:05.2') is None
    assert 'ATTR{sriov_drivers_autoprobe}="0", ATTR{sriov_numvfs}="2"' in x86.read(RULES)
    kept = plan(SriovRequest(PF, 3))  # not given: the PF's setting and the rule's stay
    assert kept.report(False)['devices'][0]['drivers_autoprobe'] is False
    assert kept.changes[0].actions[-1] == 'persist 3 VFs (not autoprobed) at boot in /' + RULES


def test_zero_with_persistent_removes_the_line_and_the_file(x86):
    plan(SriovRequest(PF, 2)).apply()
    p = plan(SriovRequest(PF, 0))
    assert p.changes[0].actions[-1] == 'remove the line of 0000:00:05.0 from /' + RULES
    p.apply()
    assert not os.path.exists(x86.path(RULES)) and p.report(True)['rule']['lines'] == []


def test_a_failed_count_after_zero_puts_the_old_count_back(nic):
    plan(SriovRequest('05:00.0', 2, persistent=False)).apply()
    nic.clear_log()
    p = plan(SriovRequest('05:00.0', 3))
    with pytest.raises(SysfsError) as exc:
        p.apply()
    assert exc.value.errno == errno.ENOMEM and exc.value.value == '3'
    assert 'failed: ENOMEM (Cannot allocate memory): the bus numbers below the bridge' in exc.value.msg
    assert exc.value.msg.endswith('; the previous count was put back (2 VFs, as new devices)')
    assert counts(nic) == [('0000:05:00.0/sriov_numvfs', '0', ''), ('0000:05:00.0/sriov_numvfs', '3', 'ENOMEM'),
                           ('0000:05:00.0/sriov_numvfs', '2', '')]
    assert nic.read('sys/bus/pci/devices/0000:05:00.0/sriov_numvfs') == '2'
    assert not os.path.exists(nic.path(RULES))  # the rule is written only once the count took


def test_a_later_failure_undoes_earlier_pfs_each_write_once(nic):
    p = plan(SriovRequest('05:00.1', 2, drivers_autoprobe=False), SriovRequest('05:00.0', 3))
    with pytest.raises(SysfsError) as exc:
        p.apply()
    assert 'undone: pci/0000:05:00.1' in exc.value.msg and exc.value.extra['undone'] == ['pci/0000:05:00.1']
    assert counts(nic) == [('0000:05:00.1/sriov_drivers_autoprobe', '0', ''), ('0000:05:00.1/sriov_numvfs', '2', ''),
                           ('0000:05:00.0/sriov_numvfs', '3', 'ENOMEM'),
                           ('0000:05:00.1/sriov_numvfs', '0', ''), ('0000:05:00.1/sriov_drivers_autoprobe', '1', '')]
    assert not os.path.exists(nic.path(RULES))  # written for 05:00.1, then its line taken out again
    assert nic.read('sys/bus/pci/devices/0000:05:00.1/sriov_numvfs') == '0'


def test_vfs_carry_into_the_next_bus_as_predicted(nic):
    p = plan(SriovRequest('05:00.1', 2, persistent=False))
    assert p.report(False)['devices'][0]['vfs'] == ['0000:05:10.0', '0000:05:10.2']
    p.apply()
    assert p.report(True)['devices'][0]['vfs'] == ['0000:05:10.0', '0000:05:10.2']


def test_a_rule_that_cannot_be_written_puts_the_count_back(x86):
    os.makedirs(x86.path('etc/udev/elsewhere'))
    os.symlink('elsewhere', x86.path('etc/udev/rules.d'))
    p = plan(SriovRequest(PF, 2))
    with pytest.raises(ConfigError) as exc:
        p.apply()
    assert 'is a symbolic link' in exc.value.msg and 'the previous count was put back (0 VFs)' in exc.value.msg
    assert counts(x86) == [('0000:00:05.0/sriov_numvfs', '2', ''), ('0000:00:05.0/sriov_numvfs', '0', '')]
