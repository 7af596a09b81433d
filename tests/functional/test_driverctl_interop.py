"""driverctl and this collection are interchangeable: Debian's driverctl runs on the same
simulated host in a private mount namespace (the simulated /sys and /etc/driverctl.d mounted
over the real ones), and each reads what the other wrote."""

import os
import shutil
import subprocess

import pytest

DRIVERCTL = shutil.which('driverctl') or '/usr/sbin/driverctl'

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='unshare -m needs root')


def driverctl(sim, *args):
    """Run driverctl with the simulated host mounted over /sys and /etc/driverctl.d."""
    assert os.path.exists(DRIVERCTL), 'driverctl is not installed (make test installs it)'
    conf = sim.path('etc/driverctl.d')
    os.makedirs(conf, exist_ok=True)
    # driverctl calls /sbin/modprobe for drivers it does not find in /sys/module. A tmpfs over /sbin
    # holds a stand-in that succeeds for drivers the simulated host has, so nothing is loaded into
    # the real kernel; driverctl itself runs unchanged from a copy.
    tools = sim.path('.simhost/sbin')
    os.makedirs(tools, exist_ok=True)
    with open(os.path.join(tools, 'modprobe'), 'w') as f:
        f.write('#!/bin/sh\nfor d in "$@"; do case $d in -*) ;; *) ls -d /sys/bus/*/drivers/"$d" >/dev/null 2>&1 '
                '|| exit 1;; esac; done\n')
    os.chmod(os.path.join(tools, 'modprobe'), 0o755)
    shutil.copy2(DRIVERCTL, os.path.join(tools, 'driverctl'))
    os.makedirs(sim.path('usr/sbin'), exist_ok=True)  # driverctl is installed on this host: its units apply
    shutil.copy2(DRIVERCTL, sim.path('usr/sbin/driverctl'))
    script = ('set -e; mount --make-rprivate /; mount --bind "$1/sys" /sys; '
              'mount --bind "$1/etc/driverctl.d" /etc/driverctl.d; mount -t tmpfs tmpfs /sbin; '
              'cp "$1/.simhost/sbin/modprobe" "$1/.simhost/sbin/driverctl" /sbin/; shift; exec /sbin/driverctl "$@"')
    proc = subprocess.run(check=False, args=['unshare', '-m', 'sh', '-c', script, 'sh', sim.root] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    return proc.returncode, proc.stdout


def test_override_set_by_module_is_listed_by_driverctl(seed, module):
    assert module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')['changed']
    rc, out = driverctl(seed, '-b', 'css', 'list-overrides')
    assert rc == 0 and out.splitlines() == ['0.0.0313 vfio_ccw'], out
    rc, out = driverctl(seed, '-b', 'css', 'list-devices')
    assert '0.0.0313 vfio_ccw [*]' in out.splitlines() and '0.0.0314 io_subchannel' in out.splitlines(), out
    # driverctl's own boot-time path reads our file and finds nothing to change
    rc, out = driverctl(seed, '-b', 'css', 'load-override', '0.0.0313')
    assert rc == 0, out
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw'


def test_override_set_by_driverctl_is_reported_and_kept(x86, module):
    rc, out = driverctl(x86, 'set-override', '0000:00:02.0', 'vfio-pci')
    assert rc == 0, out
    assert x86.driver('pci', '0000:00:02.0') == 'vfio-pci'
    info = module('driver_override_info', devices=['00:02.0'])
    assert info['devices'] == [{'bus': 'pci', 'device': '0000:00:02.0', 'driver': 'vfio-pci',
                                'override': 'vfio-pci', 'persisted': 'vfio-pci', 'iommu_group': '5'}]
    assert info['persisted'] == [{'bus': 'pci', 'device': '0000:00:02.0', 'driver': 'vfio-pci'}]
    result = module('driver_override', device='0000:00:02.0', driver='vfio-pci')
    assert not result['changed'], result


def test_driverctl_unsets_what_the_module_set(x86, module):
    module('driver_override', device='01:00.0', driver='vfio-pci')
    rc, out = driverctl(x86, 'unset-override', '0000:01:00.0')
    assert rc == 0, out
    assert x86.driver('pci', '0000:01:00.0') == 'nouveau'
    assert not os.path.exists(x86.path('etc/driverctl.d/pci-0000:01:00.0'))
    info = module('driver_override_info', devices=['01:00.0'])
    assert info['devices'][0]['override'] is None and info['persisted'] == []


def test_module_unsets_what_driverctl_set(seed, module):
    rc, out = driverctl(seed, '-b', 'css', 'set-override', '0.0.0314', 'vfio_ccw')
    assert rc == 0, out
    assert seed.driver('css', '0.0.0314') == 'vfio_ccw'
    result = module('driver_override', bus='css', device='0.0.0314', state='absent')
    assert result['changed'] and result['devices'][0]['driver'] == 'io_subchannel'
    rc, out = driverctl(seed, '-b', 'css', 'list-overrides')
    assert '0.0.0314' not in out
