"""driverctl and this collection are interchangeable: Debian's driverctl runs on the same
simulated host in a private mount namespace (the simulated /sys and /etc/driverctl.d mounted
over the real ones), and each reads what the other wrote."""

import os
import shutil

import pytest

from support.peers import run_peer

DRIVERCTL = shutil.which('driverctl') or '/usr/sbin/driverctl'

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='unshare -m needs root')


def driverctl(sim, *args):
    """Run Debian's driverctl on the simulated host (driverctl is installed there: its units apply)."""
    assert os.path.exists(DRIVERCTL), 'driverctl is not installed (make test installs it)'
    os.makedirs(sim.path('usr/sbin'), exist_ok=True)
    shutil.copy2(DRIVERCTL, sim.path('usr/sbin/driverctl'))
    return run_peer(sim, '/sbin/driverctl', *args)


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
                                'override': 'vfio-pci', 'persisted': 'vfio-pci', 'iommu_group': '5',
                                'iommu_group_peers': [], 'iommu_group_viable': True}]
    assert info['persisted'] == [{'bus': 'pci', 'device': '0000:00:02.0', 'driver': 'vfio-pci'}]
    result = module('driver_override', device='0000:00:02.0', driver='vfio-pci')
    assert not result['changed'], result


def test_driverctl_unsets_what_the_module_set(x86, module):
    # the GPU alone, its audio function left on snd_hda_intel: the module refuses that split unless allowed
    module('driver_override', device='01:00.0', driver='vfio-pci', allow_split_group=True)
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
