"""ccw_passthrough and ap_passthrough: the roles' work in one module process, step after step,
with the earlier steps undone when a later one fails."""

import os

CCW1 = '7e270a25-e163-4922-af60-757fc8ed48c6'
AP1 = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'


def test_ccw_devices_to_running_mdevs_in_one_task(seed, module):
    result = module('ccw_passthrough', devices=['0.0.2b09', {'device': '2c01', 'uuid': CCW1}])
    assert result['changed'], result
    assert [(d['device'], d['subchannel']) for d in result['devices']] == [('0.0.2b09', '0.0.0313'),
                                                                           ('0.0.2c01', '0.0.0315')]
    assert result['devices'][1]['uuid'] == CCW1 and result['devices'][0]['uuid']
    assert sorted(result['steps']) == ['cio_ignore', 'mdevs', 'overrides']
    assert all(step['changed'] for step in result['steps'].values())
    assert seed.driver('css', '0.0.0313') == seed.driver('css', '0.0.0315') == 'vfio_ccw'
    for d in result['devices']:
        assert os.path.isdir(seed.path('sys/bus/mdev/devices', d['uuid']))
    again = module('ccw_passthrough', devices=['0.0.2b09', {'device': '2c01', 'uuid': CCW1}])
    assert not again['changed'] and again['devices'] == result['devices']


def test_ccw_check_mode_predicts_what_it_can_and_writes_nothing(seed, playbook):
    run = playbook([{'vfio.passthrough.ccw_passthrough': {'devices': ['0.0.2b09', '0.0.2c01']}}], check=True)
    assert run.rc == 0 and run.changed == 1, run.stdout
    steps = run[0]['steps']
    # 0.0.2c01 is still on cio_ignore: its subchannel, and so the binding and the mdevs, come after that
    assert steps['cio_ignore']['changed'] and steps['overrides'] is None and steps['mdevs'] is None
    assert seed.writes() == []


def test_a_failing_mdev_step_gives_back_the_subchannels_and_the_cio_ignore_list(seed, module):
    ignored = seed.read('proc/cio_ignore')
    result = module('ccw_passthrough', devices=[{'device': '0.0.2b09', 'uuid': CCW1}, {'device': '2c01', 'uuid': CCW1}])
    assert result['failed'], result
    assert CCW1 in result['msg'] and 'undone' in result['msg'], result['msg']
    assert 'css/0.0.0313' in result['undone'] and result['undone'][-1].startswith('cio_ignore'), result['undone']
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'
    assert seed.read('proc/cio_ignore') == ignored
    assert not os.listdir(seed.path('etc/driverctl.d')) if os.path.isdir(seed.path('etc/driverctl.d')) else True
    assert not os.path.exists(seed.path('sys/bus/mdev/devices', CCW1))


def test_ap_matrices_masks_devices_and_validation_in_one_task(seed, module):
    devices = [{'uuid': AP1, 'adapters': [5], 'domains': [4, '0xab'], 'control_domains': [4]},
               {'adapters': [6], 'domains': ['0x10'], 'autostart': False}]
    result = module('ap_passthrough', devices=devices, live=True)
    assert result['changed'] and result['validation']['valid'], result
    assert result['steps']['masks']['changed'] and result['steps']['mdevs']['changed']
    assert [d['uuid'] for d in result['devices']][0] == AP1
    assert seed.read('sys/bus/mdev/devices', AP1, 'matrix').split() == ['05.0004', '05.00ab']
    assert not module('ap_passthrough', devices=devices, live=True)['changed']


def test_ap_refusal_gives_the_queues_back_to_the_host(seed, module):
    apmask = seed.read('sys/bus/ap/apmask')
    aqmask = seed.read('sys/bus/ap/aqmask')
    result = module('ap_passthrough', devices=[{'adapters': [5], 'domains': [4]}, {'adapters': [5], 'domains': [4]}])
    assert result['failed'] and 'APQN 05.0004 is assigned to both' in result['msg'], result
    assert (seed.read('sys/bus/ap/apmask'), seed.read('sys/bus/ap/aqmask')) == (apmask, aqmask)
    assert not os.path.exists(seed.path('etc/mdevctl.d/matrix'))
    assert not os.path.exists(seed.path('etc/udev/rules.d/41-ap.rules'))


def test_ap_without_devices_only_checks_the_host(seed, module):
    result = module('ap_passthrough', devices=[])
    assert not result['changed'] and result['steps'] == {} and 'valid' in result['validation']


def test_ccw_check_mode_predicts_the_binding_of_devices_that_are_free_already(seed, playbook):
    # 0.0.2b0a is free and online: the run sets it offline and binds its subchannel; check mode says so
    run = playbook([{'vfio.passthrough.ccw_passthrough': {'devices': ['0.0.2b0a']}}], check=True)
    assert run.rc == 0, run.stdout
    steps = run[0]['steps']
    assert steps['overrides']['changed'] and steps['mdevs'] is None
    actions = steps['overrides']['devices'][0]['actions']
    assert actions[0] == 'set ccw device 0.0.2b0a offline' and 'unbind from io_subchannel' in actions
    assert seed.writes() == []


def test_ccw_check_mode_predicts_a_refusal_too(seed, playbook):
    run = playbook([{'vfio.passthrough.ccw_passthrough': {'devices': ['0.0.f500']}}], check=True)
    assert run[0].get('failed') and 'which vfio_ccw cannot take' in run[0]['msg'], run.stdout
    assert seed.writes() == []


def test_ccw_entry_without_a_device_is_refused_clearly(seed, module):
    result = module('ccw_passthrough', devices=[{'uuid': CCW1}])
    assert result['failed'] and 'devices[0] must be a device number' in result['msg'], result
