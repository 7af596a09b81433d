"""pyudev on the real host: enumeration agrees with sysfs, and uevent waits time out cleanly."""

import os
import time

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs import uevent as _udev
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

pyudev = pytest.importorskip('pyudev')


@pytest.fixture
def real_host(monkeypatch):
    monkeypatch.delenv('VFIO_PASSTHROUGH_ROOT', raising=False)
    return Host()


def test_pyudev_used_only_on_the_real_root(real_host, seed):
    assert _udev.load(real_host) is pyudev
    assert _udev.load(Host(seed.root)) is None


def test_enumeration_matches_sysfs(real_host):
    bus = next((b for b in ('pci', 'platform', 'cpu') if os.path.isdir('/sys/bus/%s/devices' % b)), None)
    if bus is None:
        pytest.skip('no bus to enumerate on this machine')
    assert _udev.list_devices(real_host, bus) == sorted(os.listdir('/sys/bus/%s/devices' % bus))
    assert Bus(real_host, bus).device_names() == sorted(os.listdir('/sys/bus/%s/devices' % bus))


@pytest.mark.skipif(os.geteuid() != 0, reason='kernel uevent monitor needs root')
def test_watch_times_out_without_event(real_host):
    with _udev.UeventWatch(real_host, 'css') as watch:
        assert watch.monitor is not None
        start = time.time()
        assert watch.wait(lambda: False, 0.3) is False
        assert time.time() - start >= 0.3


def test_simulated_root_never_waits(seed):
    watch = _udev.UeventWatch(Host(seed.root), 'css')
    start = time.time()
    assert watch.wait(lambda: False, 30) is False
    assert time.time() - start < 5
