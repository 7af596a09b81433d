"""What the collection persists comes back after a reboot of the simulated host, and nothing else does.

``Sim.reboot(boot=True)`` (``simhost reboot``) builds a fresh kernel from the scenario, keeps ROOT/etc
and ROOT/usr, and boots: udev's coldplug through the rules below the root, then the enabled units
(tests/simhost/boot.py). No driverctl here: the collection's own rule, script and unit do the work.
"""

import os

import pytest


def assert_clean(log):
    """No program failed and no rule line was skipped."""
    assert log.failures == [] and log.warnings == [], str(log)


def test_persistent_css_override_is_bound_again_and_a_transient_one_is_not(seed, module):
    assert module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')['changed']
    assert module('driver_override', bus='css', device='0.0.0314', driver='vfio_ccw', persistent=False)['changed']
    log = seed.reboot(boot=True)
    assert_clean(log)
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw' and seed.read('sys/bus/css/devices/0.0.0313/driver_override') \
        == 'vfio_ccw'
    assert seed.driver('css', '0.0.0314') == 'io_subchannel'
    assert seed.read('sys/bus/css/devices/0.0.0314/driver_override') == '(null)'
    # the collection's own boot files did it: its rule's program and its unit ran
    assert any(r['exe'].startswith('/usr/libexec/vfio-passthrough/') for r in log.of('program'))
    assert 'vfio-passthrough-overrides.service' in log.units()
    assert not module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')['changed']


def test_persistent_pci_override_is_bound_again_and_a_transient_one_is_not(x86, module):
    assert module('driver_override', device='0000:00:02.0', driver='vfio-pci')['changed']
    assert module('driver_override', device='0000:00:03.0', driver='vfio-pci', persistent=False)['changed']
    assert x86.driver('pci', '0000:00:03.0') == 'vfio-pci'
    assert_clean(x86.reboot(boot=True))
    assert x86.driver('pci', '0000:00:02.0') == 'vfio-pci' and x86.driver('pci', '0000:00:03.0') is None
    assert not module('driver_override', device='0000:00:02.0', driver='vfio-pci')['changed']
    info = module('driver_override_info', bus=['pci'], overrides_only=True)
    assert [d['device'] for d in info['devices']] == ['0000:00:02.0']


def test_persistent_ap_masks_come_back_and_transient_ones_do_not(seed, module):
    # a queue is the host's while apmask has its adapter and aqmask its domain (seed: adapter 5 and
    # domains 4, 0x42, 0xab are vfio_ap's; 0x10 is the host's on adapters 3 and 6)
    assert seed.driver('ap', '03.0010') == seed.driver('ap', '06.0010') == 'cex4queue'
    persistent = module('ap_masks', adapters=[3], persistent=True)
    assert persistent['changed'] and persistent['persisted'] == '/etc/udev/rules.d/41-ap.rules'
    transient = module('ap_masks', domains=['0x10'], persistent=False)
    assert transient['changed'] and seed.driver('ap', '06.0010') == 'vfio_ap'
    log = seed.reboot(boot=True)
    assert_clean(log)
    assert seed.read('sys/bus/ap/apmask') == persistent['apmask']
    assert seed.read('sys/bus/ap/aqmask') == persistent['aqmask'] != transient['aqmask']
    assert seed.driver('ap', '03.0010') == 'vfio_ap' and seed.driver('ap', '06.0010') == 'cex4queue'
    # coldplug's add of /bus/ap set them (the bindings-complete change went by before udevd ran)
    assert [(r['path'], r['error']) for r in log.of('attr')] == [('/sys/bus/ap/apmask', None),
                                                                 ('/sys/bus/ap/aqmask', None)]
    assert not module('ap_masks', adapters=[3], persistent=True)['changed']


def test_a_plain_reboot_forgets_everything_transient(seed, module):
    module('driver_override', bus='css', device='0.0.0314', driver='vfio_ccw', persistent=False)
    module('ap_masks', adapters=[6], persistent=False)
    open(seed.path('run/marker'), 'w').close()
    log = seed.reboot(boot=True)
    assert_clean(log)
    assert log.of('program') == [] and log.units() == []
    assert seed.driver('css', '0.0.0314') == 'io_subchannel' and seed.driver('ap', '06.0010') == 'cex4queue'
    assert not os.path.exists(seed.path('run/marker')) and os.path.isdir(seed.path('run/lock'))
    events = [(r['action'], r['devpath']) for r in log.of('event')]
    assert ('add', '/bus/css') in events and ('add', '/devices/css0/0.0.0313') in events


def test_renumber_moves_device_numbers_to_other_subchannels(seed):
    assert seed.read('sys/bus/css/devices/0.0.0313/dev_busid') == '0.0.2b09'
    seed.reboot(renumber=True, boot=True)
    assert seed.read('sys/bus/css/devices/0.0.0315/dev_busid') == '0.0.2b09'
    assert seed.read('sys/bus/ccw/devices/0.0.2b09/../dev_busid') == '0.0.2b09'
    assert not os.path.exists(seed.path('sys/bus/css/devices/0.0.0313'))  # now 0.0.2c01's, still cio_ignore'd
    seed.reboot()
    assert seed.read('sys/bus/css/devices/0.0.0313/dev_busid') == '0.0.2b09'


@pytest.mark.skipif(os.geteuid() != 0, reason='programs run in a private mount namespace only as root')
def test_foreign_rules_units_failures_and_skipped_lines_are_logged(seed):
    rules = seed.path('etc/udev/rules.d/50-peer.rules')
    units = seed.path('etc/systemd/system')
    os.makedirs(os.path.dirname(rules))
    os.makedirs(os.path.join(units, 'multi-user.target.wants'))
    with open(rules, 'w') as f:
        f.write('ACTION=="add", KERNEL=="0.0.0314", SUBSYSTEM=="css", '
                'RUN+="/bin/sh -c \'echo vfio_ccw > /sys%p/driver_override; echo oops >&2; exit 3\'"\n'
                'ACTION=="add", SUBSYSTEMS=="css", RUN+="/bin/true"\n'
                'ACTION=="add", KERNEL=="matrix", TAG+="systemd", ENV{SYSTEMD_WANTS}+="peer@$kernel.service"\n')
    with open(os.path.join(units, 'peer@.service'), 'w') as f:
        f.write('[Unit]\nAfter=off.service\nConditionPathExists=/etc/udev/rules.d/50-peer.rules\n'
                '[Service]\nType=oneshot\nExecStart=/bin/sh -c \'echo %i >> "$VFIO_PASSTHROUGH_ROOT/run/peer"\'\n')
    with open(os.path.join(units, 'off.service'), 'w') as f:
        f.write('[Unit]\nConditionPathExists=!/etc/udev/rules.d/50-peer.rules\n[Service]\nExecStart=/bin/false\n')
    os.symlink('../off.service', os.path.join(units, 'multi-user.target.wants', 'off.service'))
    log = seed.reboot(boot=True)
    assert log.warnings == ['%s:2: line skipped, key SUBSYSTEMS not supported: '
                            'ACTION=="add", SUBSYSTEMS=="css", RUN+="/bin/true"' % rules]
    [failed] = log.failures
    assert failed['rc'] == 3 and failed['stderr'] == 'oops\n' and failed['devpath'] == '/devices/css0/0.0.0314'
    # /sys in the program's namespace is the simulated host's, never the real one
    assert seed.read('sys/bus/css/devices/0.0.0314/driver_override') == 'vfio_ccw'
    # the unit the matrix device wants ran (after off.service, whose condition failed)
    assert [(r['unit'], r['result']) for r in log.of('unit')] == [
        ('off.service', 'condition failed: ConditionPathExists=!/etc/udev/rules.d/50-peer.rules'),
        ('peer@matrix.service', 'started')]
    assert seed.read('run/peer') == 'matrix'


def test_a_device_freed_persistently_from_cio_ignore_is_there_after_the_ipl(seed, module):
    assert module('cio_ignore', devices=['0.0.2c01'])['changed']
    log = seed.reboot(boot=True)
    assert_clean(log)
    info = module('ccw_info', devices=['0.0.2c01'])['devices'][0]
    assert info['ignored'] is False and info['subchannel'] is not None
    assert [r['exe'] for r in log.of('program')][:1] == ['/usr/libexec/vfio-passthrough/free-ccw']
    assert not module('cio_ignore', devices=['0.0.2c01'])['changed']


def test_vfio_ccw_follows_its_device_number_to_a_renumbered_subchannel(seed, module):
    uuid = '7e270a25-e163-4922-af60-757fc8ed48c6'
    assert module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')['changed']
    assert module('mdev', uuid=uuid, parent='0.0.0313', type='vfio_ccw-io', autostart='auto')['changed']
    log = seed.reboot(renumber=True, boot=True)
    assert_clean(log)
    now = module('ccw_info', devices=['0.0.2b09', '0.0.2b0a'])['devices']
    moved, other = now[0]['subchannel'], now[1]['subchannel']
    assert moved != '0.0.0313' and now[0]['subchannel_driver'] == 'vfio_ccw'
    assert seed.read('sys/bus/css/devices', moved, 'dev_busid') == '0.0.2b09'
    # the mdev runs again on the subchannel that carries the device now, started by the collection's rule
    assert os.path.realpath(seed.path('sys/bus/mdev/devices', uuid)).split('/')[-2] == moved
    # no other subchannel got vfio_ccw, whatever it carries now
    bound = [d['device'] for d in module('driver_override_info', bus=['css'])['devices'] if d['driver'] == 'vfio_ccw']
    assert bound == [moved] and other != moved
    assert sorted(os.listdir(seed.path('etc/driverctl.d'))) == ['css-' + moved]
    assert os.listdir(seed.path('etc/mdevctl.d')) == [moved]
    assert seed.read('etc/vfio-passthrough/css.d/0.0.2b09') == 'subchannel=' + moved
    # the playbook run again, the device looked up by its number, changes nothing
    assert not module('driver_override', bus='css', device=moved, driver='vfio_ccw')['changed']
    assert not module('mdev', uuid=uuid, parent=moved, type='vfio_ccw-io', autostart='auto')['changed']


def test_an_auto_vfio_ap_device_starts_at_boot_without_mdevctl_and_a_manual_one_does_not(seed, module):
    auto, manual = '669d9b23-fe1b-4ecb-be08-a2fabca99b71', '5ea6c8d9-52c5-4a37-9d0b-dd5e7b6d2b9c'
    assert module('ap_masks', adapters=[5], domains=[4])['changed']  # persistent: the masks come back first
    started = module('mdev', uuid=auto, parent='matrix', type='vfio_ap-passthrough', autostart='auto',
                     attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}])
    assert started['changed'] and started['boot_start'] == 'builtin'
    assert module('mdev', uuid=manual, parent='matrix', type='vfio_ap-passthrough', autostart='manual',
                  attrs=[{'assign_adapter': '5'}, {'assign_domain': '0x42'}])['changed']
    log = seed.reboot(boot=True)
    assert_clean(log)
    assert seed.read('sys/bus/mdev/devices', auto, 'matrix') == '05.0004'
    assert not os.path.exists(seed.path('sys/bus/mdev/devices', manual))
    assert any(r['exe'] == '/usr/libexec/vfio-passthrough/start-mdevs' for r in log.of('program'))
    assert module('mdev_validate')['valid']


def test_the_vfio_ccw_role_holds_across_an_ipl_that_swaps_subchannels(seed, playbook):
    role = {'ansible.builtin.include_role': {'name': 'vfio.passthrough.vfio_ccw'},
            'vars': {'vfio_ccw_devices': ['0.0.2b09', {'device': '2c01', 'uuid': '7e270a25-e163-4922-af60-757fc8ed48c6'}]}}
    show = {'ansible.builtin.debug': {'var': 'vfio_ccw_result'}}
    first = playbook([role, show])
    assert first.rc == 0, first.stdout
    before = dict((r['device'], r) for r in first[1]['vfio_ccw_result'])
    assert_clean(seed.reboot(renumber=True, boot=True))  # 0.0.2c01 is cio_ignore'd at boot: the rule frees it
    again = playbook([role, show])
    assert again.rc == 0 and again.changed == 0, again.stdout
    after = dict((r['device'], r) for r in again[1]['vfio_ccw_result'])
    assert [after[d]['uuid'] for d in sorted(after)] == [before[d]['uuid'] for d in sorted(before)]
    assert all(after[d]['subchannel'] != before[d]['subchannel'] for d in after)  # every device moved
    for r in after.values():
        assert seed.driver('css', r['subchannel']) == 'vfio_ccw'
        assert os.path.realpath(seed.path('sys/bus/mdev/devices', r['uuid'])).split('/')[-2] == r['subchannel']
