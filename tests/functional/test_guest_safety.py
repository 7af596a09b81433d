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


AP2 = '5ea6c8d9-52c5-4a37-9d0b-dd5e7b6d2b9c'
HAND = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'
CREATE = 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create'


def matrix(seed, uuid):
    """The running device's matrix as the kernel shows it."""
    return seed.read('sys/bus/mdev/devices', uuid, 'matrix').split()


def two_guests(module):
    """Guest A with 05.0004, guest B with 05.0042, both running."""
    assert module('mdev', devices=[{'uuid': AP, 'attrs': GUEST},
                                   {'uuid': AP2, 'attrs': [{'assign_adapter': '5'}, {'assign_domain': '0x42'}]}],
                  **MATRIX)['changed']


def hand_made(seed, uuid, adapter, domain):
    """A running vfio_ap device created by hand (echo to create, assign_*), with no definition."""
    seed.write(uuid, CREATE)
    seed.write(adapter, 'sys/bus/mdev/devices', uuid, 'assign_adapter')
    seed.write(domain, 'sys/bus/mdev/devices', uuid, 'assign_domain')


def test_two_running_guests_swap_domains_live(seed, module):
    two_guests(module)
    result = module('mdev', live=True, devices=[
        {'uuid': AP, 'attrs': [{'assign_adapter': '5'}, {'assign_domain': '0x42'}]},
        {'uuid': AP2, 'attrs': GUEST}], **MATRIX)
    assert result['changed'] and not result.get('failed'), result.get('msg')
    assert matrix(seed, AP) == ['05.0042'] and matrix(seed, AP2) == ['05.0004']
    assert [d['uuid'] for d in result['devices']] == [AP, AP2]


def test_a_swap_that_fails_half_way_puts_both_guests_back_exactly(seed, module):
    two_guests(module)
    result = module('mdev', live=True, validate=False, devices=[
        # 03.0010 is the host's (apmask and aqmask): the kernel refuses domain 0x10 after A has taken 0x42
        {'uuid': AP, 'attrs': [{'assign_adapter': '5'}, {'assign_adapter': '3'}, {'assign_domain': '0x42'},
                               {'assign_domain': '0x10'}]},
        {'uuid': AP2, 'attrs': GUEST}], **MATRIX)
    assert result['failed'] and 'EADDRNOTAVAIL' in result['msg'], result
    assert matrix(seed, AP) == ['05.0004'] and matrix(seed, AP2) == ['05.0042']
    assert '0x42' in seed.read('etc/mdevctl.d/matrix', AP2) and '"4"' in seed.read('etc/mdevctl.d/matrix', AP)


def test_an_undone_stop_brings_the_device_back_with_its_matrix(seed, module):
    hand_made(seed, HAND, '5', '0xab')
    result = module('mdev', exclusive=True, validate=False, devices=[
        {'uuid': AP, 'attrs': [{'assign_adapter': '3'}, {'assign_domain': '0x10'}]}], **MATRIX)  # the host's 03.0010
    assert result['failed'] and 'undone' in result['msg'], result
    assert matrix(seed, HAND) == ['05.00ab']  # stopped by exclusive, then started again as it ran


def test_defining_a_hand_made_device_keeps_what_it_runs(seed, module):
    hand_made(seed, HAND, '5', '0xab')
    seed.clear_log()
    result = module('mdev', uuid=HAND, state='defined', live=True)
    assert result['changed'] and not result.get('failed'), result.get('msg')
    assert result['devices'][0]['attrs'] == [{'assign_adapter': '0x5'}, {'assign_domain': '0xab'}]
    assert [w for w in seed.writes() if '/sys/' in w['path']] == []  # the running device is not touched
    assert matrix(seed, HAND) == ['05.00ab']
    assert not module('mdev', uuid=HAND, state='defined', live=True)['changed']


def test_a_transient_device_without_uuid_is_found_again(seed, module):
    args = dict(attrs=GUEST, persistent=False, **MATRIX)
    first = module('mdev', **args)
    assert first['changed']
    again = module('mdev', **args)
    assert not again['changed'] and again['uuid'] == first['uuid']


def test_an_online_dasd_is_set_offline_before_its_subchannel_is_unbound(sim_factory, module):
    sim = sim_factory('dasd')
    result = module('driver_override', bus='css', device='0.0.0321', driver='vfio_ccw')
    assert result['changed'] and result['devices'][0]['actions'][:2] == [
        'set ccw device 0.0.2d01 offline', 'unbind from io_subchannel'], result
    assert [w['path'] for w in sim.writes()][:2] == ['/sys/devices/css0/0.0.0321/0.0.2d01/online',
                                                     '/sys/bus/css/drivers/io_subchannel/unbind']
    assert sim.driver('css', '0.0.0321') == 'vfio_ccw'


def test_a_dasd_the_host_uses_is_not_taken(sim_factory, module):
    sim = sim_factory('dasd')
    refused = module('driver_override', bus='css', device='0.0.0320', driver='vfio_ccw')
    assert refused['failed'] and 'ccw device 0.0.2d00 is in use by the host' in refused['msg'], refused
    assert refused['errno'] == 'EBUSY' and 'previous state was restored' in refused['msg']
    assert sim.driver('css', '0.0.0320') == 'io_subchannel'
    assert sim.read('sys/bus/ccw/devices/0.0.2d00/online') == '1'
    assert not os.path.exists(sim.path('etc/driverctl.d/css-0.0.0320'))
    # the vfio_ccw role goes through the same path: the host keeps its disk there too
    forced = module('driver_override', bus='css', device='0.0.0320', driver='vfio_ccw', force=True)
    assert forced['changed'] and forced['devices'][0]['taken'] == ['ccw device 0.0.2d00 (online)']


def test_a_failed_bind_brings_the_dasd_back_online(sim_factory, module):
    sim = sim_factory('dasd')
    result = module('driver_override', bus='css', device='0.0.0322', driver='vfio_ccw')
    assert result['failed'] and 'did not bind to vfio_ccw' in result['msg'], result
    assert sim.driver('css', '0.0.0322') == 'io_subchannel'
    assert sim.read('sys/bus/ccw/devices/0.0.2d02/online') == '1'  # it comes back offline: set online again


def test_absent_with_a_read_only_etc_leaves_the_guest_its_device(seed, module):
    import subprocess
    assert module('mdev', uuid=AP, attrs=GUEST, **MATRIX)['changed']
    conf = seed.path('etc/mdevctl.d')
    subprocess.run(['mount', '--bind', conf, conf], check=True)
    try:
        subprocess.run(['mount', '-o', 'remount,bind,ro', conf], check=True)
        seed.clear_log()
        result = module('mdev', uuid=AP, state='absent')
        assert result['failed'] and 'EROFS' in result['msg'], result
        assert [w for w in seed.writes() if '/sys/' in w['path']] == []  # the file went first, and failed
        assert matrix(seed, AP) == ['05.0004']
    finally:
        subprocess.run(['umount', conf], check=True)
    assert os.path.exists(seed.path('etc/mdevctl.d/matrix', AP))
