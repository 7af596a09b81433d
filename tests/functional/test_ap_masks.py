"""ap_masks: queues handed to vfio_ap through apmask/aqmask, persisted as chzdev does."""

import os

AP = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
FULL = '0x' + 'f' * 64


def test_give_adapter_and_domain_to_vfio_ap_then_idempotent(seed, module):
    assert seed.driver('ap', '06.0010') == 'cex4queue'
    result = module('ap_masks', adapters=[6], domains=['0x10'])
    assert result['changed'] and result['vfio_adapters'] == '5-6' and result['vfio_domains'] == '4, 16, 66, 171'
    assert seed.driver('ap', '06.0010') == 'vfio_ap' and seed.driver('ap', '03.0010') == 'vfio_ap'
    with open(seed.path('etc/udev/rules.d/41-ap.rules')) as f:
        rule = f.read()
    assert 'ATTR{../../bus/ap/apmask}="%s"' % result['apmask'] in rule and 'kmod load vfio_ap' in rule
    assert not module('ap_masks', adapters=[6], domains=['0x10'])['changed']


def test_exclusive_and_absent(seed, module):
    result = module('ap_masks', adapters=['5-6'], domains=['0x40-0x4f'], exclusive=True, persistent=False)
    assert result['vfio_adapters'] == '5-6' and result['vfio_domains'] == '64-79'
    assert seed.driver('ap', '03.0004') == 'cex4queue' and seed.driver('ap', '05.0004') == 'vfio_ap'
    back = module('ap_masks', adapters=[5, 6], domains=['0x40-0x4f'], state='absent', persistent=False)
    assert back['apmask'] == back['aqmask'] == FULL
    assert not os.path.exists(seed.path('etc/udev/rules.d/41-ap.rules'))


def test_kernel_syntax_for_ad_hoc_use(seed, module):
    result = module('ap_masks', apmask='+5', aqmask='-0x10', persistent=False)
    assert result['vfio_adapters'] == 'none' and result['vfio_domains'] == '4, 16, 66, 171'


def test_refuses_taking_a_queue_from_an_mdev(seed, module):
    module('mdev', uuid=AP, parent='matrix', type='vfio_ap-passthrough',
           attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}])
    seed.clear_log()
    assert not module('ap_masks', adapters=[5], state='absent', persistent=False).get('failed')  # domain 4 stays free
    seed.clear_log()
    result = module('ap_masks', domains=[4], state='absent')
    assert result['failed'] and 'APQN 05.0004, assigned to mdev %s' % AP in result['msg'] and 'EBUSY' in result['msg']
    assert seed.writes() == []


def test_check_mode_and_diff(seed, playbook):
    run = playbook([{'vfio.passthrough.ap_masks': {'adapters': [6]}}], check=True, diff=True)
    assert run.rc == 0 and run.changed == 1
    assert '-vfio_adapters: 5' in run.stdout and '+vfio_adapters: 5-6' in run.stdout
    assert seed.writes() == [] and not os.path.exists(seed.path('etc/udev'))


def test_bad_input(seed, module):
    for args, words in (({'adapters': [300]}, 'outside 0-255'), ({'domains': ['x']}, 'not a number'),
                        ({'apmask': '5,+6'}, 'not an AP mask')):
        result = module('ap_masks', **args)
        assert result['failed'] and words in result['msg'], result['msg']
    assert seed.writes() == []


def test_mask_writes_in_the_order_that_never_takes_an_mdev_queue(seed, module):
    module('mdev', uuid=AP, parent='matrix', type='vfio_ap-passthrough',
           attrs=[{'assign_adapter': '5'}, {'assign_domain': '0x10'}], validate=False)
    result = module('ap_masks', apmask='+5', aqmask='-0x10', persistent=False)
    assert result['changed'] and not result.get('failed'), result.get('msg')
    assert [w['path'] for w in seed.writes()][-2:] == ['/sys/bus/ap/aqmask', '/sys/bus/ap/apmask']
