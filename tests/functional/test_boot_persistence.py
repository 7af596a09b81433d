"""What a host starts at boot holds in both directions: masks and autostart definitions agree."""

AUTO = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
MATRIX = dict(parent='matrix', type='vfio_ap-passthrough')
GUEST = [{'assign_adapter': '5'}, {'assign_domain': '4'}]


def test_the_masks_do_not_give_the_host_what_an_autostart_definition_needs(seed, module):
    assert module('mdev', uuid=AUTO, attrs=GUEST, autostart='auto', state='defined', **MATRIX)['changed']
    seed.clear_log()
    refused = module('ap_masks', adapters=[5], domains=[4], state='absent')
    assert refused['failed'] and 'APQN 05.0004' in refused['msg'] and AUTO in refused['msg'], refused
    assert 'at boot' in refused['msg'] and seed.writes() == []


def test_a_manual_definition_does_not_hold_the_masks(seed, module):
    assert module('mdev', uuid=AUTO, attrs=GUEST, autostart='manual', state='defined', **MATRIX)['changed']
    assert module('ap_masks', adapters=[5], domains=[4], state='absent', persistent=False)['changed']
