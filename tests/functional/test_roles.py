"""The vfio_ccw and vfio_ap roles against the seed host: result, idempotence, check mode."""

import os

CCW1 = '7e270a25-e163-4922-af60-757fc8ed48c6'
AP1 = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'


def role(name, **variables):
    return {'ansible.builtin.include_role': {'name': 'vfio.passthrough.' + name}, 'vars': variables}


def result_of(name):
    return {'ansible.builtin.debug': {'var': name}}


CCW_ROLE = role('vfio_ccw', vfio_ccw_devices=['0.0.2b09', {'device': '2c01', 'uuid': CCW1}])


def test_vfio_ccw_from_device_numbers_to_running_mdevs(seed, playbook):
    run = playbook([CCW_ROLE, result_of('vfio_ccw_result')])
    assert run.rc == 0, run.stdout
    result = run[1]['vfio_ccw_result']
    assert [(r['device'], r['subchannel']) for r in result] == [('0.0.2b09', '0.0.0313'), ('0.0.2c01', '0.0.0315')]
    assert result[1]['uuid'] == CCW1 and result[0]['uuid']
    assert seed.driver('css', '0.0.0313') == seed.driver('css', '0.0.0315') == 'vfio_ccw'
    for r in result:
        assert os.path.isdir(seed.path('sys/bus/mdev/devices', r['uuid']))
        with open(seed.path('etc/mdevctl.d', r['subchannel'], r['uuid'])) as f:
            assert '"start": "auto"' in f.read()
    assert seed.read('etc/driverctl.d/css-0.0.0315') == 'vfio_ccw'
    again = playbook([CCW_ROLE, result_of('vfio_ccw_result')])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert again[1]['vfio_ccw_result'] == result


def test_vfio_ccw_check_mode_writes_nothing(seed, playbook):
    run = playbook([CCW_ROLE], check=True)
    assert run.rc == 0, run.stdout
    assert seed.writes() == [] and not os.path.exists(seed.path('etc/driverctl.d'))


AP_ROLE = role('vfio_ap', vfio_ap_devices=[
    {'uuid': AP1, 'adapters': [5], 'domains': [4, '0xab'], 'control_domains': [4]},
    {'adapters': [6], 'domains': ['0x10'], 'autostart': False},
])


def test_vfio_ap_masks_validation_and_matrix_devices(seed, playbook):
    run = playbook([AP_ROLE, result_of('vfio_ap_result')])
    assert run.rc == 0, run.stdout
    result = run[1]['vfio_ap_result']
    assert result[0]['uuid'] == AP1 and result[0]['active'] and result[1]['uuid']
    assert seed.read('sys/bus/mdev/devices', AP1, 'matrix').split() == ['05.0004', '05.00ab']
    assert seed.read('sys/bus/mdev/devices', result[1]['uuid'], 'matrix') == '06.0010'
    assert seed.driver('ap', '06.0010') == 'vfio_ap'
    assert os.path.exists(seed.path('etc/udev/rules.d/41-ap.rules'))
    again = playbook([AP_ROLE])
    assert again.rc == 0 and again.changed == 0, again.stdout


def test_vfio_ap_live_update_of_running_device(seed, playbook):
    playbook([AP_ROLE])
    changed = role('vfio_ap', vfio_ap_devices=[{'uuid': AP1, 'adapters': [5], 'domains': ['0x42']}])
    run = playbook([changed])
    assert run.rc == 0, run.stdout
    assert seed.read('sys/bus/mdev/devices', AP1, 'matrix') == '05.0042'


def test_vfio_ap_conflict_is_refused_before_anything_starts(seed, playbook):
    clash = role('vfio_ap', vfio_ap_devices=[{'adapters': [5], 'domains': [4]}, {'adapters': [5], 'domains': [4]}])
    run = playbook([clash])
    assert run.rc != 0 or any(r.get('failed') for r in run.results)
    assert 'APQN 05.0004 is assigned to both' in run.text
    assert not os.path.exists(seed.path('etc/mdevctl.d/matrix'))


def test_vfio_ap_check_mode_writes_nothing(seed, playbook):
    run = playbook([AP_ROLE], check=True)
    assert run.rc == 0, run.stdout
    assert seed.writes() == []
