"""What a host starts at boot holds in both directions: masks and autostart definitions agree."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._ap.rule import rule_text
from support.ap import persist_masks

AUTO = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
MATRIX = dict(parent='matrix', type='vfio_ap-passthrough')
START = 'usr/libexec/vfio-passthrough/start-mdevs'
RULE = 'etc/udev/rules.d/90-vfio-passthrough-mdevs.rules'
GUEST = [{'assign_adapter': '5'}, {'assign_domain': '4'}]


def test_the_masks_do_not_give_the_host_what_an_autostart_definition_needs(seed, module):
    persist_masks(seed)
    assert module('mdev', uuid=AUTO, attrs=GUEST, autostart='auto', state='defined', **MATRIX)['changed']
    seed.clear_log()
    refused = module('ap_masks', adapters=[5], domains=[4], state='absent')
    assert refused['failed'] and 'APQN 05.0004' in refused['msg'] and AUTO in refused['msg'], refused
    assert 'at boot' in refused['msg'] and seed.writes() == []


def test_a_manual_definition_does_not_hold_the_masks(seed, module):
    assert module('mdev', uuid=AUTO, attrs=GUEST, autostart='manual', state='defined', **MATRIX)['changed']
    assert module('ap_masks', adapters=[5], domains=[4], state='absent', persistent=False)['changed']


def test_an_autostart_definition_needs_its_apqns_reserved_by_the_persistent_masks(seed, module):
    # the seed's masks are set at runtime only: at boot the host would keep 05.0004 and ap-check refuse the device
    refused = module('mdev', uuid=AUTO, attrs=GUEST, autostart='auto', state='defined', **MATRIX)
    assert refused['failed'] and 'APQN 05.0004' in refused['msg'] and 'no persistent masks' in refused['msg']
    assert refused['conflicts'][0]['kind'] == 'not_reserved_at_boot' and seed.writes() == []
    assert module('mdev', uuid=AUTO, attrs=GUEST, autostart='manual', state='defined', **MATRIX)['changed']
    # transient masks do not count: the rule the host boots with must reserve the APQNs
    assert module('ap_masks', adapters=[6], domains=[4], persistent=False)['changed']
    assert module('mdev', uuid=AUTO, autostart='auto', state='defined', **MATRIX)['failed']
    assert module('ap_masks', adapters=[5], domains=[4])['changed']  # persistent: writes 41-ap.rules
    assert module('mdev', uuid=AUTO, autostart='auto', state='defined', **MATRIX)['changed']
    assert module('mdev_validate')['valid']
    # a rule rewritten behind the collection's back (every id to the host) is what validation reads
    with open(seed.path('etc/udev/rules.d/41-ap.rules'), 'w') as f:
        f.write(rule_text('0x' + 'f' * 64, '0x' + 'f' * 64))
    report = module('mdev_validate')
    assert not report['valid'] and [c['kind'] for c in report['conflicts']] == ['not_reserved_at_boot']
    assert '/etc/udev/rules.d/41-ap.rules' in report['conflicts'][0]['msg']


def test_without_mdevctl_an_auto_definition_brings_the_collections_own_start_at_boot(seed, module):
    persist_masks(seed)
    manual = module('mdev', uuid=AUTO, attrs=GUEST, autostart='manual', state='defined', **MATRIX)
    assert manual['boot_start'] == 'builtin' and not os.path.exists(seed.path(START))  # nothing to start at boot
    auto = module('mdev', uuid=AUTO, autostart='auto', state='defined', **MATRIX)
    assert auto['changed'] and auto['boot_start'] == 'builtin'
    assert os.access(seed.path(START), os.X_OK) and os.path.exists(seed.path(RULE))
    assert not module('mdev', uuid=AUTO, autostart='auto', state='defined', **MATRIX)['changed']


def test_a_persisted_subchannel_override_records_its_device_number(seed, module):
    record = 'etc/vfio-passthrough/css.d/0.0.2b09'
    assert module('driver_override', bus='css', device='0.0.0314', driver='vfio_ccw', persistent=False)['changed']
    assert not os.path.exists(seed.path('etc/vfio-passthrough'))  # until the next IPL only: nothing to follow
    bound = module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')
    assert 'record that the files of ccw device 0.0.2b09 are kept for 0.0.0313 in /' + record in bound['devices'][0]['actions']
    assert seed.read(record) == 'subchannel=0.0.0313'
    assert os.access(seed.path('usr/libexec/vfio-passthrough/resolve-css'), os.X_OK)
    assert os.path.exists(seed.path('etc/udev/rules.d/04-vfio-passthrough-css.rules'))
    gone = module('driver_override', bus='css', device='0.0.0313', state='absent')
    assert gone['changed'] and 'remove /' + record in gone['devices'][0]['actions'] and not os.path.exists(seed.path(record))


def test_debian_12s_mdevctl_that_cannot_start_devices_at_boot_gets_the_collections_start(seed, module):
    persist_masks(seed)
    for path, text in (('usr/bin/mdevctl', '#!/bin/sh\n'),
                       ('lib/udev/rules.d/60-mdevctl.rules', 'ACTION=="add", TEST=="/etc/mdevctl.d/$kernel", '
                        'RUN+="/bin/sh -c \'/usr/sbin/mdevctl start-parent-mdevs %k\'"\n')):
        os.makedirs(os.path.dirname(seed.path(path)), exist_ok=True)
        with open(seed.path(path), 'w') as f:
            f.write(text)
    result = module('mdev', uuid=AUTO, attrs=GUEST, autostart='auto', state='defined', **MATRIX)
    assert result['changed'] and result['boot_start'] == 'builtin' and os.path.exists(seed.path(START))
    assert any('/usr/sbin/mdevctl, which does not exist' in w for w in result['warnings'])


def test_boot_files_deleted_behind_the_collections_back_are_put_back_by_the_next_run(seed, module):
    persist_masks(seed)
    assert module('mdev', uuid=AUTO, attrs=GUEST, autostart='auto', state='defined', **MATRIX)['changed']
    assert module('cio_ignore', devices=['0.0.2c01'])['changed']
    for path in (START, RULE, 'usr/libexec/vfio-passthrough/free-ccw'):
        os.unlink(seed.path(path))
    again = module('mdev', uuid=AUTO, autostart='auto', state='defined', **MATRIX)
    assert again['changed'] and os.path.exists(seed.path(START)) and os.path.exists(seed.path(RULE))
    freed = module('cio_ignore', devices=['0.0.2c01'])
    assert freed['changed'] and freed['actions'] == ['install /usr/libexec/vfio-passthrough/free-ccw']
    assert not module('cio_ignore', devices=['0.0.2c01'])['changed']


def test_persisting_masks_set_by_hand_does_not_take_what_an_autostart_definition_needs_at_boot(seed, module):
    persist_masks(seed)
    rule = seed.read('etc/udev/rules.d/41-ap.rules')
    assert module('mdev', uuid=AUTO, attrs=GUEST, autostart='auto', state='defined', **MATRIX)['changed']
    for name, change in (('apmask', '+5'), ('aqmask', '+4')):  # by hand: 05.0004 back to the host, until the boot
        with open(seed.path('sys/bus/ap', name), 'w') as f:
            f.write(change)
    masks = [seed.read('sys/bus/ap', name) for name in ('apmask', 'aqmask')]
    seed.clear_log()
    refused = module('ap_masks', apmask=masks[0], aqmask=masks[1], persistent=True)
    assert refused.get('failed') and 'APQN 05.0004' in refused['msg'] and AUTO in refused['msg'], (masks, refused)
    assert seed.writes() == [] and seed.read('etc/udev/rules.d/41-ap.rules') == rule
