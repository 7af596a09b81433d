"""Bus and Device on the seed host: existence, listing, drivers, overrides, attributes and writes."""

import errno

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import NotFound, SysfsError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus, Device
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.readpass import ReadPass


def css():
    return Bus(Host(), 'css')


def test_a_registered_bus_lists_its_devices_sorted_and_knows_its_drivers(seed):
    bus = css().require()
    assert bus.exists
    assert bus.device_names() == ['0.0.0000', '0.0.0313', '0.0.0314', '0.0.ff40']
    assert bus.has_driver('vfio_ccw') and not bus.has_driver('vfio-pci')
    assert bus.driver_path('vfio_ccw', 'bind') == seed.path('sys/bus/css/drivers/vfio_ccw/bind')


def test_a_missing_bus_is_not_found_and_has_no_devices(seed):
    bus = Bus(Host(), 'pci')
    assert not bus.exists and bus.device_names() == []
    with pytest.raises(NotFound) as exc:
        bus.require()
    assert exc.value.msg == 'bus pci does not exist (/sys/bus/pci is missing)'
    assert exc.value.path == '/sys/bus/pci'


def test_a_device_reads_its_driver_override_and_attributes(seed):
    dev = css().device('0.0.0313').require()
    assert str(dev) == 'css device 0.0.0313'
    assert dev.driver == 'io_subchannel'
    assert dev.supports_override and dev.override is None  # the kernel shows (null)
    assert dev.read_override() == (True, None)
    assert dev.attr('dev_busid') == '0.0.2b09'
    assert dev.attr('no_such_attribute', 'fallback') == 'fallback'
    assert dev.iommu_group is None
    assert dev.display('driver_override') == '/sys/bus/css/devices/0.0.0313/driver_override'


def test_reading_through_a_reading_pass_gives_the_same_answers(seed):
    with ReadPass() as dirs:
        dev = css().device('0.0.0313', dirs)
        assert (dev.driver, dev.read_override(), dev.attr('dev_busid')) == ('io_subchannel', (True, None), '0.0.2b09')
        assert dev.attr('missing') is None


def test_an_ap_queue_without_driver_override_is_reported_so(seed):
    queue = Bus(Host(), 'ap').device('05.0004')
    assert queue.driver == 'vfio_ap'
    assert not queue.supports_override and queue.read_override() == (False, None)


def test_writing_the_override_is_read_back(seed):
    dev = css().device('0.0.0313')
    dev.write('driver_override', 'vfio_ccw')
    assert dev.override == 'vfio_ccw' and seed.read('sys/bus/css/devices/0.0.0313/driver_override') == 'vfio_ccw'
    assert seed.writes()[-1]['path'] == '/sys/devices/css0/0.0.0313/driver_override'


def test_a_refused_write_names_the_device_path_and_errno(seed):
    with pytest.raises(SysfsError) as exc:
        css().device('0.0.0313').write('type', '1')
    assert exc.value.msg.startswith(
        "css device 0.0.0313: writing '1' to /sys/bus/css/devices/0.0.0313/type failed: EACCES")
    assert (exc.value.errno, exc.value.device, exc.value.value) == (errno.EACCES, 'css device 0.0.0313', '1')


def test_a_missing_device_is_not_found_with_its_path(seed):
    dev = css().device('0.0.0315')  # hidden by cio_ignore
    assert not dev.exists and dev.driver is None
    with pytest.raises(NotFound) as exc:
        dev.require()
    assert exc.value.msg == 'css device 0.0.0315 does not exist (/sys/bus/css/devices/0.0.0315 is missing)'
    assert (exc.value.path, exc.value.device) == ('/sys/bus/css/devices/0.0.0315', '0.0.0315')


def test_devices_are_equal_by_bus_and_name(tmp_path):
    host = Host(str(tmp_path))
    a, b = Bus(host, 'css').device('0.0.0313'), Device(Bus(host, 'css'), '0.0.0313')
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Bus(host, 'ccw').device('0.0.0313') and a != Bus(host, 'css').device('0.0.0314')
    assert a != '0.0.0313'
