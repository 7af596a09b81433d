"""DeviceBinder on the seed host: setting, clearing and restoring a css subchannel's override."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import BindError, SysfsError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.binder import DeviceBinder
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.plan import OverrideRequest
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus

DEFAULT = {'driver': 'io_subchannel', 'override': None}


def binder(name, driver=None, state='present', probe=True, before=None):
    """A DeviceBinder of a css device, with the state it had before (io_subchannel, no override)."""
    host = Host()
    dev = Bus(host, 'css').device(name)
    return DeviceBinder(host, dev, OverrideRequest('css', name, driver, state=state, probe=probe, timeout=1),
                        dict(before or DEFAULT))


def written(seed):
    """(attribute, value) of each write the simulated kernel saw."""
    return [(w['path'].rsplit('/', 1)[-1], w['value'].rstrip('\n')) for w in seed.writes()]


def test_set_unbinds_writes_the_override_and_probes_until_vfio_ccw_binds(seed):
    binder('0.0.0313', 'vfio_ccw').set()
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw'
    assert seed.read('sys/bus/css/devices/0.0.0313/driver_override') == 'vfio_ccw'
    assert written(seed) == [('unbind', '0.0.0313'), ('driver_override', 'vfio_ccw'), ('drivers_probe', '0.0.0313')]


def test_set_when_already_bound_as_asked_writes_nothing(seed):
    binder('0.0.0313', 'vfio_ccw').set()
    seed.clear_log()
    binder('0.0.0313', 'vfio_ccw', before={'driver': 'vfio_ccw', 'override': 'vfio_ccw'}).set()
    assert seed.writes() == []


def test_set_without_probe_unbinds_and_writes_the_override(seed):
    # as driverctl --noprobe: the device is unbound first and left unbound
    binder('0.0.0313', 'vfio_ccw', probe=False).set()
    assert written(seed) == [('unbind', '0.0.0313'), ('driver_override', 'vfio_ccw')]
    assert seed.driver('css', '0.0.0313') is None


def test_set_to_none_leaves_the_device_unbound(seed):
    binder('0.0.0313', 'none').set()
    assert seed.driver('css', '0.0.0313') is None
    assert written(seed) == [('unbind', '0.0.0313'), ('driver_override', 'none')]


def test_a_subchannel_vfio_ccw_refuses_fails_to_bind_and_is_restored(seed):
    with pytest.raises(BindError) as exc:
        binder('0.0.0000', 'vfio_ccw').set()
    assert exc.value.msg == ('css device 0.0.0000 did not bind to vfio_ccw: after drivers_probe it is unbound '
                             '(see the kernel log); the previous state was restored '
                             '(driver io_subchannel, override (none))')
    assert (exc.value.path, exc.value.value, exc.value.device) == (
        '/sys/bus/css/devices/0.0.0000/driver', 'vfio_ccw', '0.0.0000')
    assert seed.driver('css', '0.0.0000') == 'io_subchannel'
    assert seed.read('sys/bus/css/devices/0.0.0000/driver_override') == '(null)'
    assert written(seed)[-2:] == [('driver_override', ''), ('bind', '0.0.0000')]


def test_unset_clears_the_override_and_the_default_driver_binds_again(seed):
    binder('0.0.0313', 'vfio_ccw').set()
    seed.clear_log()
    binder('0.0.0313', state='absent', before={'driver': 'vfio_ccw', 'override': 'vfio_ccw'}).unset()
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'
    assert seed.read('sys/bus/css/devices/0.0.0313/driver_override') == '(null)'
    assert written(seed) == [('unbind', '0.0.0313'), ('driver_override', ''), ('drivers_probe', '0.0.0313')]


def test_unset_without_an_override_writes_nothing(seed):
    binder('0.0.0313', state='absent').unset()
    assert seed.writes() == []


def test_restore_puts_back_the_override_and_the_driver_it_had(seed):
    binder('0.0.0313', 'vfio_ccw').set()
    binder('0.0.0313', 'vfio_ccw').restore()
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'
    assert seed.read('sys/bus/css/devices/0.0.0313/driver_override') == '(null)'


def test_restore_that_fails_raises_alone_or_is_noted_on_the_first_error(seed):
    refusing = {'driver': 'vfio_ccw', 'override': None}  # vfio_ccw refuses 0.0.0000: bind answers ENODEV
    with pytest.raises(SysfsError) as exc:
        binder('0.0.0000', 'vfio_ccw', before=refusing).restore()
    assert 'ENODEV' in exc.value.msg and exc.value.path == '/sys/bus/css/drivers/vfio_ccw/bind'
    first = BindError('first failure')
    binder('0.0.0000', 'vfio_ccw', before=refusing).restore(first)
    assert first.msg.startswith('first failure; restoring the previous state failed too: css device 0.0.0000: '
                                "writing '0.0.0000' to /sys/bus/css/drivers/vfio_ccw/bind failed: ENODEV")
