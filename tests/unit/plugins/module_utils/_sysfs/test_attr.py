"""Writes map the kernel's errno to a message naming device, path, value and errno."""

import errno

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs import attr as _attr
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import SysfsError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


def test_root_comes_from_environment(seed):
    host = Host()
    assert host.root == seed.root
    assert host.sys('bus') == seed.path('sys/bus')
    assert not host.is_real
    assert host.display(host.sys('bus', 'css')) == '/sys/bus/css'


def test_default_root_is_slash(monkeypatch):
    monkeypatch.delenv('VFIO_PASSTHROUGH_ROOT', raising=False)
    assert Host().root == '/' and Host().is_real


def test_device_reads(seed):
    dev = Bus(Host(), 'css').device('0.0.0313')
    assert dev.exists and dev.driver == 'io_subchannel' and dev.override is None
    assert dev.attr('dev_busid') == '0.0.2b09'
    assert Bus(Host(), 'css').device_names() == ['0.0.0000', '0.0.0313', '0.0.0314', '0.0.ff40']


@pytest.mark.parametrize('path, value, code, words', [
    ('sys/bus/css/drivers/io_subchannel/bind', '0.0.0313', errno.EBUSY, 'already bound'),
    ('sys/bus/css/drivers/vfio_ccw/unbind', '0.0.0313', errno.ENODEV, 'not bound to this driver'),
    ('sys/bus/css/drivers_probe', '0.0.0999', errno.ENODEV, 'no such device'),
    ('sys/bus/css/devices/0.0.0313/driver_override', 'x' * 5000, errno.EINVAL, 'too long'),
    ('sys/bus/css/devices/0.0.0313/dev_busid', '1', errno.EACCES, 'not writable'),
])
def test_write_errors_name_everything(seed, path, value, code, words):
    with pytest.raises(SysfsError) as exc:
        _attr.write(seed.path(path), value, device='css device 0.0.0313', display='/' + path)
    err = exc.value
    assert err.errno == code
    assert err.path == '/' + path
    assert 'css device 0.0.0313' in err.msg and '/' + path in err.msg
    assert errno.errorcode[code] in err.msg and words in err.msg
    assert err.result()['errno'] == errno.errorcode[code]


def test_read_missing_is_default(seed):
    assert _attr.read(seed.path('sys/bus/css/devices/0.0.0313/nothing'), 'x') == 'x'
