"""sriov through real Ansible runs against the simulated x86 host (QEMU's NVMe with SR-IOV at 0000:00:05.0)."""

import os

PF = '0000:00:05.0'
RULES = 'etc/udev/rules.d/70-vfio-passthrough-sriov.rules'
LINE = 'ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="0000:00:05.0", ATTR{sriov_numvfs}="%d"'
THREE = {'name': 'echo 3 > /sys/bus/pci/devices/0000:00:05.0/sriov_numvfs, and at boot',
         'vfio.passthrough.sriov': {'device': '00:05.0', 'numvfs': 3}}


def numvfs_writes(sim):
    """The values written to the PF's sriov_numvfs, with their errno names."""
    return [(w['value'].rstrip('\n'), w['errname']) for w in sim.writes() if w['path'].endswith('/sriov_numvfs')]


def test_create_vfs_check_mode_first_then_real_then_idempotent(x86, playbook):
    etc = x86.snapshot()
    check = playbook([THREE], check=True)
    assert check.rc == 0 and check.changed == 1, check.stdout
    predicted = check[0]['devices'][0]
    assert predicted['vfs'] == ['0000:00:05.1', '0000:00:05.2', '0000:00:05.3']
    assert x86.writes() == [] and x86.snapshot() == etc
    assert x86.read('sys/bus/pci/devices', PF, 'sriov_numvfs') == '0'
    real = playbook([THREE])
    assert real.rc == 0 and real.changed == 1, real.stdout
    pf = real[0]['devices'][0]
    for key in ('device', 'numvfs', 'numvfs_before', 'totalvfs', 'vfs', 'drivers_autoprobe', 'persisted', 'actions'):
        assert pf[key] == predicted[key], key
    assert (pf['device'], pf['numvfs'], pf['numvfs_before'], pf['totalvfs'], pf['persisted']) == (PF, 3, 0, 7, 3)
    assert real[0]['rule'] == check[0]['rule'] == {'path': '/' + RULES, 'lines': [LINE % 3]}
    assert numvfs_writes(x86) == [('3', '')]
    assert [x86.driver('pci', vf) for vf in pf['vfs']] == ['nvme'] * 3
    assert os.path.islink(x86.path('sys/bus/pci/devices/0000:00:05.3/physfn'))
    x86.clear_log()
    again = playbook([THREE])
    assert again.rc == 0 and again.changed == 0
    assert again[0]['devices'][0]['actions'] == [] and x86.writes() == []


def test_another_count_writes_zero_first(x86, module):
    module('sriov', device=PF, numvfs=2)
    x86.clear_log()
    result = module('sriov', device=PF, numvfs=5)
    assert result['changed'] and result['devices'][0]['numvfs_before'] == 2
    assert result['devices'][0]['actions'] == [
        'remove the 2 VFs (write 0 to /sys/bus/pci/devices/0000:00:05.0/sriov_numvfs)',
        'create 5 VFs (write 5 to /sys/bus/pci/devices/0000:00:05.0/sriov_numvfs)',
        'persist 5 VFs at boot in /' + RULES]
    assert numvfs_writes(x86) == [('0', ''), ('5', '')]
    assert x86.read(RULES).splitlines()[-1] == LINE % 5


def test_above_totalvfs_is_refused_with_errno_and_writes_nothing(x86, module):
    result = module('sriov', device=PF, numvfs=8)
    assert result['failed'] and 'Traceback' not in str(result)
    assert result['msg'] == ('pci device 0000:00:05.0: numvfs 8 is above sriov_totalvfs 7 '
                             '(/sys/bus/pci/devices/0000:00:05.0/sriov_totalvfs); the kernel refuses it (ERANGE)')
    assert (result['errno'], result['path'], result['value'], result['device']) == (
        'ERANGE', '/sys/bus/pci/devices/0000:00:05.0/sriov_numvfs', '8', PF)
    assert x86.writes() == [] and not os.path.exists(x86.path(RULES))


def test_a_vf_bound_to_vfio_pci_is_not_removed_without_force(x86, module):
    module('sriov', device=PF, numvfs=2)
    bound = module('driver_override', device='0000:00:05.2', driver='vfio-pci', persistent=False)
    assert bound['changed'] and x86.driver('pci', '0000:00:05.2') == 'vfio-pci'
    x86.clear_log()
    refused = module('sriov', device=PF, numvfs=0)
    assert refused['failed']
    assert 'these are in use: 0000:00:05.2: bound to vfio-pci (a guest may hold it)' in refused['msg']
    assert refused['users'] == ['0000:00:05.2: bound to vfio-pci (a guest may hold it)']
    assert x86.writes() == [] and x86.read('sys/bus/pci/devices', PF, 'sriov_numvfs') == '2'
    forced = module('sriov', device=PF, numvfs=0, force=True)
    assert forced['changed'] and forced['devices'][0]['taken'] == refused['users']
    assert any('forced: removing the VFs' in w for w in forced.get('warnings', []))
    assert not os.path.exists(x86.path('sys/bus/pci/devices/0000:00:05.2'))
    assert not os.path.exists(x86.path(RULES))


def test_the_rule_creates_the_vfs_again_at_boot(x86, module):
    module('sriov', devices=[{'device': PF, 'numvfs': 4, 'drivers_autoprobe': False}])
    text = x86.read(RULES)
    assert text.splitlines()[-1] == ('ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="0000:00:05.0", '
                                     'ATTR{sriov_drivers_autoprobe}="0", ATTR{sriov_numvfs}="4"')
    assert text.startswith('# Installed by the vfio.passthrough Ansible collection')
    boot = x86.reboot(boot=True)
    assert [(r['path'].rsplit('/', 1)[-1], r['value']) for r in boot.of('attr')] == [
        ('sriov_drivers_autoprobe', '0'), ('sriov_numvfs', '4')]
    assert not any('70-vfio-passthrough-sriov' in w for w in boot.warnings), boot.warnings
    assert x86.read('sys/bus/pci/devices', PF, 'sriov_numvfs') == '4'
    assert x86.driver('pci', '0000:00:05.4') is None  # not autoprobed
    assert not module('sriov', device=PF, numvfs=4)['changed']


def test_diff_shows_the_count_and_the_vfs(x86, playbook):
    result = playbook([THREE], diff=True)
    assert '--- before: pci/0000:00:05.0' in result.stdout
    assert '-numvfs: 0' in result.stdout and '+numvfs: 3' in result.stdout
    assert '+vfs: 0000:00:05.1, 0000:00:05.2, 0000:00:05.3' in result.stdout


def test_bad_input_fails_clearly(x86, module):
    missing = module('sriov', device=PF)
    assert missing['failed'] and missing['msg'] == '0000:00:05.0: numvfs is required' and missing['field'] == 'numvfs'
    unquoted = module('sriov', device=60.0, numvfs=1)
    assert unquoted['failed'] and 'quote the address' in unquoted['msg']
    assert x86.writes() == []


def test_a_vf_goes_to_vfio_pci_with_driver_override(x86, module):
    created = module('sriov', device=PF, numvfs=2, drivers_autoprobe=False)
    vf = created['devices'][0]['vfs'][1]
    assert x86.driver('pci', vf) is None  # no host driver took it
    bound = module('driver_override', device=vf, driver='vfio-pci')
    assert bound['changed'] and bound['devices'][0]['driver'] == 'vfio-pci'
    assert x86.driver('pci', vf) == 'vfio-pci'
    group = os.readlink(x86.path('sys/bus/pci/devices', vf, 'iommu_group'))
    assert os.listdir(x86.path('sys/kernel/iommu_groups', os.path.basename(group), 'devices')) == [vf]
    info = module('driver_override_info', overrides_only=True)
    assert [d['device'] for d in info['devices']] == [vf]


def test_unbinding_the_pf_is_refused_while_a_vf_is_on_vfio_pci(x86, module):
    # most PF drivers remove their VFs when they are unbound: a guest's VF would go with the PF
    module('sriov', device=PF, numvfs=2)
    module('driver_override', device='0000:00:05.1', driver='vfio-pci', persistent=False)
    result = module('driver_override', device=PF, driver='vfio-pci', persistent=False)
    assert result['failed'] and 'its VF 0000:00:05.1: bound to vfio-pci' in result['msg'], result
    assert x86.driver('pci', PF) == 'nvme' and x86.driver('pci', '0000:00:05.1') == 'vfio-pci'
