"""The collection's start of ``auto`` definitions at boot (no mdevctl), run against the simulated host."""

import json
import os
import subprocess

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev import boot

AUTO = '11111111-1111-4111-8111-111111111111'
MANUAL = '22222222-2222-4222-8222-222222222222'
BROKEN = '33333333-3333-4333-8333-333333333333'
REFUSED = '44444444-4444-4444-8444-444444444444'


def define(seed, uuid, start, attrs):
    os.makedirs(seed.path('etc/mdevctl.d/matrix'), exist_ok=True)
    with open(seed.path('etc/mdevctl.d/matrix', uuid), 'w') as f:
        json.dump({'mdev_type': 'vfio_ap-passthrough', 'start': start, 'attrs': attrs}, f)


def run_script(seed, tmp_path, *args):
    script = tmp_path / 'start-mdevs'
    script.write_text(boot.SCRIPT_TEXT)
    return subprocess.run(['/bin/sh', str(script)] + list(args), env=dict(os.environ, VFIO_PASSTHROUGH_ROOT=seed.root),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)


def test_auto_definitions_of_the_parent_start_with_their_attributes_in_order(seed, tmp_path):
    define(seed, AUTO, 'auto', [{'assign_adapter': '5'}, {'assign_domain': '4'}])
    define(seed, MANUAL, 'manual', [{'assign_adapter': '5'}, {'assign_domain': '0x42'}])
    done = run_script(seed, tmp_path, 'matrix')
    assert done.returncode == 0, done.stderr
    assert seed.read('sys/bus/mdev/devices', AUTO, 'matrix') == '05.0004'
    assert not os.path.exists(seed.path('sys/bus/mdev/devices', MANUAL))
    seed.clear_log()
    assert run_script(seed, tmp_path).returncode == 0 and seed.writes() == []  # running already: left alone


def test_a_definition_that_fails_is_reported_and_the_others_still_start(seed, tmp_path):
    define(seed, AUTO, 'auto', [{'assign_adapter': '5'}, {'assign_domain': '4'}])
    define(seed, REFUSED, 'auto', [{'assign_adapter': '5'}, {'assign_domain': '0x100'}])  # above 255: EINVAL
    with open(seed.path('etc/mdevctl.d/matrix', BROKEN), 'w') as f:
        f.write('{')
    done = run_script(seed, tmp_path, 'matrix')
    assert done.returncode == 1
    assert BROKEN in done.stderr and REFUSED in done.stderr and 'the device was removed again' in done.stderr
    assert os.path.exists(seed.path('sys/bus/mdev/devices', AUTO))
    assert not os.path.exists(seed.path('sys/bus/mdev/devices', REFUSED))


def test_a_parent_not_registered_yet_is_left_for_its_registered_event(seed, tmp_path):
    os.makedirs(seed.path('etc/mdevctl.d/0.0.0313'))
    with open(seed.path('etc/mdevctl.d/0.0.0313', AUTO), 'w') as f:
        json.dump({'mdev_type': 'vfio_ccw-io', 'start': 'auto', 'attrs': []}, f)
    seed.clear_log()
    assert run_script(seed, tmp_path, '0.0.0313').returncode == 0 and seed.writes() == []


def test_the_rule_runs_on_the_registered_change_and_on_the_parents_add(seed):
    assert 'ACTION=="change", ENV{MDEV_STATE}=="registered", TEST=="/etc/mdevctl.d/$kernel"' in boot.UDEV_TEXT
    assert 'RUN+="/usr/libexec/vfio-passthrough/start-mdevs $kernel"' in boot.UDEV_TEXT
    # a module or driver of the parent's name (mtty) has an add event too: not a parent
    assert 'ACTION=="add", SUBSYSTEM!="module|drivers", TEST=="/etc/mdevctl.d/$kernel"' in boot.UDEV_TEXT


def mdevctl(seed, binary, rule_runs, rule_dir='lib/udev/rules.d'):
    """mdevctl installed as ``binary`` with a 60-mdevctl.rules whose RUN names ``rule_runs``."""
    rule = ('ACTION=="add", TEST=="/etc/mdevctl.d/$kernel", RUN+="/bin/sh -c \'{ %s start-parent-mdevs %%k '
            '2>&3 | logger -t mdevctl; } 3>&1 1>&2 | logger -t mdevctl -p 2\'"\n' % rule_runs)
    for path, text in ((binary, '#!/bin/sh\n'), (rule_dir + '/60-mdevctl.rules', rule)):
        os.makedirs(os.path.dirname(seed.path(path)), exist_ok=True)
        with open(seed.path(path), 'w') as f:
            f.write(text)


def test_mdevctl_starts_auto_devices_only_where_its_rule_can_run_it(seed):
    host = Host()
    assert boot.boot_starter(host) == ('builtin', None)  # no mdevctl
    mdevctl(seed, 'usr/bin/mdevctl', '/usr/sbin/mdevctl')  # Debian 12's mdevctl 1.2.0-3
    assert boot.boot_starter(host) == ('builtin', "mdevctl's udev rule /lib/udev/rules.d/60-mdevctl.rules runs "
                                                  "/usr/sbin/mdevctl, which does not exist")
    mdevctl(seed, 'usr/bin/mdevctl', '/usr/bin/mdevctl', rule_dir='etc/udev/rules.d')  # an administrator's fix
    assert boot.boot_starter(host) == ('mdevctl', None)
    os.unlink(seed.path('etc/udev/rules.d/60-mdevctl.rules'))
    os.unlink(seed.path('lib/udev/rules.d/60-mdevctl.rules'))
    assert boot.boot_starter(host) == ('builtin', "mdevctl's udev rule (60-mdevctl.rules) is not installed")


def test_two_runs_at_once_start_each_device_once(seed, tmp_path):
    define(seed, AUTO, 'auto', [{'assign_adapter': '5'}, {'assign_domain': '4'}])
    script = tmp_path / 'start-mdevs'
    script.write_text(boot.SCRIPT_TEXT)
    env = dict(os.environ, VFIO_PASSTHROUGH_ROOT=seed.root)
    runs = [subprocess.Popen(['/bin/sh', str(script), 'matrix'], env=env, stderr=subprocess.PIPE,
                             universal_newlines=True) for _i in range(3)]
    assert [(p.wait(), p.stderr.read()) for p in runs] == [(0, '')] * 3
    assert seed.read('sys/bus/mdev/devices', AUTO, 'matrix') == '05.0004'
