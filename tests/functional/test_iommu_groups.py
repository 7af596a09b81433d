"""Whole IOMMU groups and devices selected by id, through real Ansible runs on the simulated x86 host.

Group 12 holds the GPU (nouveau) and its audio function (snd_hda_intel); group 9 a PCIe-to-PCI bridge
(00:04.0) with a two-function NIC (02:01.0 and 02:01.1, e1000) and a sound card (02:02.0, snd_ens1370)
behind it. Every changing ``module`` call is preceded by its check-mode twin (tests/conftest.py).
"""

import os

import pytest

GPU_GROUP = ['0000:01:00.0', '0000:01:00.1']
BEHIND_BRIDGE = ['0000:02:01.0', '0000:02:01.1', '0000:02:02.0']
HOST_DRIVERS = {'0000:02:01.0': 'e1000', '0000:02:01.1': 'e1000', '0000:02:02.0': 'snd_ens1370'}


def drivers(sim, names):
    """``{name: driver}`` of PCI devices now."""
    return dict((name, sim.driver('pci', name)) for name in names)


def task(**args):
    """One driver_override task."""
    return {'name': 'driver_override', 'vfio.passthrough.driver_override': args}


def test_the_gpu_group_goes_to_vfio_pci_whole_and_comes_back_whole(x86, module):
    result = module('driver_override', device='01:00.0', driver='vfio-pci', iommu_group=True)
    assert result['changed'] and 'warnings' not in result
    assert [(d['device'], d['driver'], d['persisted']) for d in result['devices']] == [
        (n, 'vfio-pci', 'vfio-pci') for n in GPU_GROUP]
    assert drivers(x86, GPU_GROUP) == dict.fromkeys(GPU_GROUP, 'vfio-pci')
    assert not module('driver_override', device='01:00.0', driver='vfio-pci', iommu_group=True)['changed']
    back = module('driver_override', device='01:00.1', state='absent', iommu_group=True)
    assert back['changed'] and drivers(x86, GPU_GROUP) == {'0000:01:00.0': 'nouveau', '0000:01:00.1': 'snd_hda_intel'}


def test_the_bridge_names_the_devices_behind_it(x86, module):
    result = module('driver_override', device='00:04.0', driver='vfio-pci', iommu_group=True, persistent=False)
    assert [d['device'] for d in result['devices']] == BEHIND_BRIDGE
    assert drivers(x86, BEHIND_BRIDGE) == dict.fromkeys(BEHIND_BRIDGE, 'vfio-pci')
    assert x86.driver('pci', '0000:00:04.0') is None and not os.path.exists(x86.path('etc/driverctl.d'))
    info = module('driver_override_info', devices=['00:04.0', '02:02.0'])
    assert [(d['device'], d['iommu_group'], d['iommu_group_viable']) for d in info['devices']] == [
        ('0000:00:04.0', '9', True), ('0000:02:02.0', '9', True)]
    assert info['devices'][1]['iommu_group_peers'] == ['0000:00:04.0', '0000:02:01.0', '0000:02:01.1']


def test_one_function_of_a_group_is_refused_naming_every_endpoint_in_check_mode_too(x86, playbook):
    one = task(device='0000:02:01.0', driver='vfio-pci')
    predicted = playbook([one], check=True)[0]
    real = playbook([one])[0]
    for result in (predicted, real):
        assert result['failed'] and not result.get('changed')
        assert result['msg'].startswith('IOMMU group 9 would be split between vfio and host drivers: 0000:02:01.0 '
                                        '(asked for) on vfio-pci, 0000:02:01.1 on e1000, 0000:02:02.0 on snd_ens1370')
        assert 'iommu_group: true' in result['msg'] and 'allow_split_group: true' in result['msg']
        assert result['iommu_group'] == '9' and result['device'] == '0000:02:01.0'
    assert predicted['msg'] == real['msg']
    assert x86.writes() == [] and drivers(x86, BEHIND_BRIDGE) == HOST_DRIVERS


def test_giving_back_one_function_while_the_other_stays_on_vfio_is_refused(x86, module):
    module('driver_override', device='01:00.0', driver='vfio-pci', iommu_group=True)
    x86.clear_log()
    result = module('driver_override', device='01:00.1', state='absent')
    assert result['failed'] and 'IOMMU group 12 would be split' in result['msg']
    assert '0000:01:00.0 on vfio-pci, 0000:01:00.1 (asked for) on (the default driver)' in result['msg']
    assert x86.writes() == [] and drivers(x86, GPU_GROUP) == dict.fromkeys(GPU_GROUP, 'vfio-pci')


def test_allow_split_group_splits_knowingly_and_warns(x86, module):
    result = module('driver_override', device='02:01.0', driver='vfio-pci', allow_split_group=True)
    assert result['changed'] and drivers(x86, BEHIND_BRIDGE) == dict(HOST_DRIVERS, **{'0000:02:01.0': 'vfio-pci'})
    assert [w for w in result['warnings'] if 'IOMMU group 9 is split' in w and '0000:02:01.1 on e1000' in w]
    info = module('driver_override_info', devices=['02:01.0'])
    assert info['devices'][0]['iommu_group_viable'] is False


def test_a_failing_group_is_put_back_whole(x86, module):
    # vfio-pci refuses the bridge (its probe answers EINVAL), after the three devices behind it were bound
    result = module('driver_override', driver='vfio-pci',
                    devices=[{'device': '02:01.0', 'iommu_group': True}, {'device': '00:04.0'}])
    assert result['failed'] and 'pci device 0000:00:04.0 did not bind to vfio-pci' in result['msg']
    assert result['undone'] == ['pci/' + n for n in reversed(BEHIND_BRIDGE)]
    assert drivers(x86, BEHIND_BRIDGE) == HOST_DRIVERS and x86.driver('pci', '0000:00:04.0') is None
    assert not os.listdir(x86.path('etc/driverctl.d'))
    assert [x86.read('sys/bus/pci/devices', n, 'driver_override') for n in BEHIND_BRIDGE] == ['(null)'] * 3


def test_ids_select_devices_as_vfio_pci_ids_does(x86, module):
    result = module('driver_override', ids=['8086:100e', '1274:5000'], driver='vfio-pci')
    assert [d['device'] for d in result['devices']] == BEHIND_BRIDGE and result['changed']
    gpu = module('driver_override', ids=['10de:1eb8'], driver='vfio-pci', iommu_group=True)
    assert [d['device'] for d in gpu['devices']] == GPU_GROUP
    info = module('driver_override_info', bus=['pci'], overrides_only=True)
    assert [(d['device'], d['iommu_group_viable']) for d in info['devices']] == [
        (n, True) for n in GPU_GROUP + BEHIND_BRIDGE]


@pytest.mark.parametrize('args, words', [
    ({'ids': ['10de:1eb9'], 'driver': 'vfio-pci'}, 'no PCI device matches id 10de:1eb9; nothing was changed'),
    ({'ids': ['10de'], 'driver': 'vfio-pci'}, "ids: '10de' is not a PCI id"),
    ({'ids': ['10de:1eb8'], 'device': '01:00.0', 'driver': 'vfio-pci'}, 'mutually exclusive'),
    ({'ids': ['1:2'], 'bus': 'css', 'driver': 'vfio_ccw'}, 'ids select PCI devices; bus must be pci'),
    ({'device': '0.0.0313', 'bus': 'css', 'driver': 'vfio_ccw', 'iommu_group': True}, 'PCI devices only'),
])
def test_bad_selections_fail_clearly_and_write_nothing(x86, module, args, words):
    result = module('driver_override', **args)
    assert result['failed'] and words in result['msg'], result['msg']
    assert x86.writes() == []


@pytest.mark.parametrize('args', [dict(driver='vfio-pci', probe=False),
                                  dict(driver='vfio-pci', probe=False, persistent=False)])
def test_an_override_left_for_the_next_probe_is_refused_when_it_would_split_the_group(x86, module, args):
    # unbound now, but the next probe (any later bind, the next boot) binds vfio-pci beside e1000
    result = module('driver_override', device='02:01.0', **args)
    assert result['failed'] and 'IOMMU group 9 would be split' in result['msg'], result
    assert drivers(x86, BEHIND_BRIDGE) == HOST_DRIVERS
    assert not os.path.exists(x86.path('etc/driverctl.d/pci-0000:02:01.0'))
