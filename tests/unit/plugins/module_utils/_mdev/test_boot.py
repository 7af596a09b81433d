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


def test_the_rule_runs_on_the_registered_change_and_on_add_and_mdevctl_replaces_it(seed):
    assert 'ACTION=="change", ENV{MDEV_STATE}=="registered", TEST=="/etc/mdevctl.d/$kernel"' in boot.UDEV_TEXT
    assert 'RUN+="/usr/libexec/vfio-passthrough/start-mdevs $kernel"' in boot.UDEV_TEXT
    host = Host()
    assert not boot.mdevctl_installed(host)
    os.makedirs(seed.path('usr/sbin'), exist_ok=True)
    open(seed.path('usr/sbin/mdevctl'), 'w').close()
    assert boot.mdevctl_installed(host)
