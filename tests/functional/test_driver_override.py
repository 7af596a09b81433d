"""driver_override and driver_override_info through real Ansible runs against the simulated host."""

import os
import subprocess

import pytest

from support.ansible_run import ansible_env
from support.paths import REPO, VENV_BIN

SEED_TASK = {'name': 'driverctl -b css set-override 0.0.0313 vfio_ccw',
             'vfio.passthrough.driver_override': {'bus': 'css', 'device': '0.0.0313', 'driver': 'vfio_ccw'}}


def test_seed_example_as_one_task_then_idempotent(seed, playbook):
    first = playbook([SEED_TASK])
    assert first.rc == 0, first.stdout
    assert first.changed == 1
    dev = first[0]['devices'][0]
    assert (dev['driver'], dev['override'], dev['persisted']) == ('vfio_ccw', 'vfio_ccw', 'vfio_ccw')
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw'
    with open(seed.path('etc/driverctl.d/css-0.0.0313')) as f:
        assert f.read() == 'vfio_ccw\n'  # exactly what driverctl writes
    assert os.path.isdir(seed.path('sys/bus/css/devices/0.0.0313/mdev_supported_types/vfio_ccw-io'))
    seed.clear_log()
    again = playbook([SEED_TASK])
    assert again.rc == 0 and again.changed == 0
    assert again[0]['devices'][0]['actions'] == []
    assert seed.writes() == []


def test_check_mode_writes_nothing_and_predicts(seed, playbook):
    etc = seed.snapshot()
    result = playbook([SEED_TASK], check=True)
    assert result.rc == 0 and result.changed == 1
    dev = result[0]['devices'][0]
    assert dev['driver'] == 'vfio_ccw' and dev['changed']
    assert seed.writes() == []
    assert seed.snapshot() == etc and not os.path.exists(seed.path('usr'))
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'


def test_diff_shows_before_and_after(seed, playbook):
    result = playbook([SEED_TASK], diff=True)
    out = result.stdout
    assert '--- before: css/0.0.0313' in out and '+++ after: css/0.0.0313' in out
    assert '-driver: io_subchannel' in out and '+driver: vfio_ccw' in out
    assert '+persisted: vfio_ccw' in out


@pytest.mark.parametrize('args, field, words', [
    ({'bus': 'css', 'device': '../0.0.0313', 'driver': 'vfio_ccw'}, 'device', 'not a subchannel'),
    ({'bus': 'css/..', 'device': '0.0.0313', 'driver': 'vfio_ccw'}, 'bus', 'not a valid bus name'),
    ({'bus': 'css', 'device': '0.0.0313', 'driver': 'vfio/ccw'}, 'driver', 'not a valid driver name'),
    ({'bus': 'pci', 'device': '0000:00:02', 'driver': 'vfio-pci'}, 'device', 'not a PCI address'),
    ({'bus': 'css', 'device': '0.0.0313'}, 'driver', 'driver is required'),
])
def test_bad_input_fails_clearly_and_writes_nothing(seed, module, args, field, words):
    etc = seed.snapshot()
    result = module('driver_override', **args)
    assert result['failed'] and words in result['msg']
    assert 'Traceback' not in str(result) and 'module_stderr' not in result
    assert result.get('field') == field
    assert seed.writes() == [] and seed.snapshot() == etc


def test_missing_device_names_the_path(seed, module):
    result = module('driver_override', bus='css', device='0.0.0999', driver='vfio_ccw')
    assert result['failed']
    assert result['msg'] == 'css device 0.0.0999 does not exist (/sys/bus/css/devices/0.0.0999 is missing)'
    assert result['path'] == '/sys/bus/css/devices/0.0.0999'


def test_failed_bind_restores_and_says_so(seed, module):
    result = module('driver_override', bus='css', device='0.0.0000', driver='vfio_ccw', force=True)
    assert result['failed']
    assert 'did not bind to vfio_ccw' in result['msg'] and 'restored (driver io_subchannel' in result['msg']
    assert seed.driver('css', '0.0.0000') == 'io_subchannel'
    assert not os.path.exists(seed.path('etc/driverctl.d/css-0.0.0000'))


def test_gpu_and_audio_function_in_one_task(x86, module):
    result = module('driver_override', driver='vfio-pci', devices=[{'device': '01:00.0'}, {'device': '01:00.1'}])
    assert result['changed']
    assert [d['device'] for d in result['devices']] == ['0000:01:00.0', '0000:01:00.1']
    assert x86.driver('pci', '0000:01:00.0') == x86.driver('pci', '0000:01:00.1') == 'vfio-pci'
    again = module('driver_override', driver='vfio-pci', devices=[{'device': '0000:01:00.0'}, {'device': '01:00.1'}])
    assert not again['changed']


def test_none_leaves_device_unbound_transiently(x86, module):
    result = module('driver_override', device='00:02.0', driver='none', persistent=False)
    assert result['changed'] and result['devices'][0]['driver'] is None
    assert x86.driver('pci', '0000:00:02.0') is None
    assert x86.read('sys/bus/pci/devices/0000:00:02.0/driver_override') == 'none'
    assert not os.path.exists(x86.path('etc/driverctl.d'))
    assert not module('driver_override', device='00:02.0', driver='none', persistent=False)['changed']


def test_probe_false_unbinds_and_writes_override(x86, module):
    # as driverctl --noprobe: unbound from e1000e first, then left unbound
    result = module('driver_override', device='00:02.0', driver='vfio-pci', probe=False)
    assert result['changed']
    assert x86.driver('pci', '0000:00:02.0') is None
    assert x86.read('sys/bus/pci/devices/0000:00:02.0/driver_override') == 'vfio-pci'
    assert [w['path'].rsplit('/', 1)[-1] for w in x86.writes()] == ['unbind', 'driver_override']


def test_absent_gives_device_back(x86, module):
    module('driver_override', device='00:02.0', driver='vfio-pci')
    result = module('driver_override', device='00:02.0', state='absent')
    assert result['changed'] and result['devices'][0]['driver'] == 'e1000e'
    assert result['devices'][0]['override'] is None and result['devices'][0]['persisted'] is None
    assert not module('driver_override', device='00:02.0', state='absent')['changed']


def test_info_lists_devices_overrides_and_persisted(seed, module):
    module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')
    info = module('driver_override_info', bus=['css'])
    assert not info['changed']
    by_name = dict((d['device'], d) for d in info['devices'])
    assert set(by_name) == {'0.0.0000', '0.0.0313', '0.0.0314', '0.0.ff40'}
    assert by_name['0.0.0313']['override'] == 'vfio_ccw' and by_name['0.0.0314']['driver'] == 'io_subchannel'
    assert by_name['0.0.0314']['dev_busid'] == '0.0.2b0a'
    only = module('driver_override_info', overrides_only=True)
    assert [d['device'] for d in only['devices']] == ['0.0.0313']
    assert info['persisted'] == [{'bus': 'css', 'device': '0.0.0313', 'driver': 'vfio_ccw'}]


def test_boot_time_apply_rebinds_after_reboot(seed, module):
    """The installed script re-binds a device whose driver is not its override (css uevents come late)."""
    result = module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')
    assert result['boot_apply'] == 'builtin'
    script = seed.path('usr/libexec/vfio-passthrough/apply-overrides')
    assert os.access(script, os.X_OK)
    assert os.readlink(seed.path('etc/systemd/system/multi-user.target.wants/vfio-passthrough-overrides.service')) \
        == '../vfio-passthrough-overrides.service'
    seed.reboot()
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'
    subprocess.run([script], check=True, env=dict(os.environ, VFIO_PASSTHROUGH_ROOT=seed.root))
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw'
    assert seed.read('sys/bus/css/devices/0.0.0313/driver_override') == 'vfio_ccw'
    seed.clear_log()
    subprocess.run([script, 'css-0.0.0313'], check=True, env=dict(os.environ, VFIO_PASSTHROUGH_ROOT=seed.root))
    assert seed.writes() == []  # already right: nothing to do


def test_driverctl_present_means_no_builtin_files(seed, module):
    os.makedirs(seed.path('usr/sbin'))
    open(seed.path('usr/sbin/driverctl'), 'w').close()
    result = module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')
    assert result['boot_apply'] == 'driverctl'
    assert not os.path.exists(seed.path('usr/libexec/vfio-passthrough/apply-overrides'))
    assert not os.path.exists(seed.path('etc/udev/rules.d/89-vfio-passthrough-overrides.rules'))
    # driverctl keys the file by subchannel: the collection's rule still moves it with the device number at boot
    assert os.path.exists(seed.path('usr/libexec/vfio-passthrough/resolve-css'))
    assert seed.read('etc/vfio-passthrough/css.d/0.0.2b09') == 'subchannel=0.0.0313'


def test_ad_hoc_command(seed):
    cmd = [os.path.join(VENV_BIN, 'ansible'), 'localhost', '-m', 'vfio.passthrough.driver_override',
           '-a', 'bus=css device=0.0.0313 driver=vfio_ccw']
    proc = subprocess.run(cmd, cwd=REPO, check=False, stdin=subprocess.DEVNULL, env=ansible_env(),
                          stdout=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0 and 'CHANGED' in proc.stdout, proc.stdout
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw'


def test_ap_queue_override_on_newer_kernels(sim_factory, module):
    sim = sim_factory('ap-override')
    assert sim.read('sys/bus/ap/devices/05.0004/driver_override') == ''
    result = module('driver_override', bus='ap', device='5.4', driver='vfio_ap')
    assert result['changed'] and result['devices'][0]['device'] == '05.0004'
    assert sim.driver('ap', '05.0004') == 'vfio_ap' and sim.driver('ap', '05.0010') == 'cex4queue'
    info = module('driver_override_info', bus=['ap'], overrides_only=True)
    assert [d['device'] for d in info['devices']] == ['05.0004']
    back = module('driver_override', bus='ap', device='05.0004', state='absent')
    assert back['devices'][0]['driver'] == 'cex4queue'


def test_ap_queue_without_override_points_to_masks(seed, module):
    result = module('driver_override', bus='ap', device='05.0004', driver='vfio_ap')
    assert result['failed'] and 'through /sys/bus/ap/apmask and aqmask' in result['msg']
    assert '/sys/bus/ap/devices/05.0004/driver_override' in result['msg']


def test_ap_queue_override_needs_default_masks(sim_factory, module):
    sim = sim_factory('ap-override')
    sim.write('-5', 'sys/bus/ap/apmask')
    sim.clear_log()
    result = module('driver_override', bus='ap', device='03.0004', driver='vfio_ap')
    assert result['failed'] and 'only while /sys/bus/ap/apmask and aqmask are at their default' in result['msg']
    assert sim.writes() == []
