"""Nothing is taken from a running guest or from the host by surprise (the guest-safety issue)."""

import os

AP = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
MATRIX = dict(parent='matrix', type='vfio_ap-passthrough')
GUEST = [{'assign_adapter': '5'}, {'assign_domain': '4'}]


def test_an_empty_device_list_with_exclusive_is_refused(seed, module):
    assert module('mdev', uuid=AP, attrs=GUEST, **MATRIX)['changed']
    seed.clear_log()
    refused = module('mdev', exclusive=True, devices=[], **MATRIX)
    assert refused['failed'] and 'allow_empty' in refused['msg'], refused
    assert seed.writes() == [] and os.path.exists(seed.path('sys/bus/mdev/devices', AP))
    # the task-level options never stand in for the empty list: no device is created either
    assert os.listdir(seed.path('sys/bus/mdev/devices')) == [AP]


def test_allow_empty_removes_every_device_of_the_parent(seed, module):
    assert module('mdev', uuid=AP, attrs=GUEST, **MATRIX)['changed']
    result = module('mdev', exclusive=True, allow_empty=True, devices=[], **MATRIX)
    assert result['changed'] and [d['uuid'] for d in result['devices']] == [AP]
    assert os.listdir(seed.path('sys/bus/mdev/devices')) == []
    assert not os.path.exists(seed.path('etc/mdevctl.d/matrix', AP))


def test_an_empty_override_list_changes_nothing(seed, module):
    result = module('driver_override', bus='css', driver='vfio_ccw', devices=[])
    assert not result.get('failed') and not result['changed'] and result['devices'] == []
    assert seed.writes() == []


CCW = '7e270a25-e163-4922-af60-757fc8ed48c6'


def guest_on_0313(module):
    """A guest's vfio-ccw device running on subchannel 0.0.0313."""
    assert module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')['changed']
    assert module('mdev', uuid=CCW, parent='0.0.0313', type='vfio_ccw-io')['changed']


def test_the_parent_of_a_running_mdev_is_not_unbound(seed, module, playbook):
    guest_on_0313(module)
    seed.clear_log()
    for args in ({'state': 'absent'}, {'driver': 'io_subchannel'}):
        refused = module('driver_override', bus='css', device='0.0.0313', **args)
        assert refused['failed'] and 'running mdev %s (vfio_ccw-io)' % CCW in refused['msg'], refused
        assert refused['users'] == ['running mdev %s (vfio_ccw-io)' % CCW]
    check = playbook([{'vfio.passthrough.driver_override': {'bus': 'css', 'device': '0.0.0313', 'state': 'absent'}}],
                     check=True)
    assert check[0]['failed'] and CCW in check[0]['msg']  # check mode says so too
    assert seed.writes() == [] and os.path.exists(seed.path('sys/bus/mdev/devices', CCW))


def test_force_takes_it_and_says_from_whom(seed, module):
    guest_on_0313(module)
    result = module('driver_override', bus='css', device='0.0.0313', state='absent', force=True)
    assert result['changed'] and result['devices'][0]['taken'] == ['running mdev %s (vfio_ccw-io)' % CCW]
    assert any(CCW in w for w in result.get('warnings', []))
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'


def test_a_qdio_subchannel_is_refused_before_anything_is_unbound(seed, module):
    refused = module('driver_override', bus='css', device='0.0.0000', driver='vfio_ccw')
    assert refused['failed'] and 'QDIO device 0.0.f500' in refused['msg'] and 'nothing was unbound' in refused['msg']
    assert seed.writes() == [] and seed.driver('css', '0.0.0000') == 'io_subchannel'
