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
