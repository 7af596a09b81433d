"""subchannel_of: a device number's subchannel, through its ccw device or, once that is gone, dev_busid."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._ccw.subchannels import subchannel_of
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


def bind_to_vfio_ccw(seed, subchannel):
    """Hand a subchannel to vfio_ccw as driverctl would; its ccw device goes away."""
    seed.write(subchannel, 'sys/bus/css/drivers/io_subchannel/unbind')
    seed.write('vfio_ccw', 'sys/bus/css/devices', subchannel, 'driver_override')
    seed.write(subchannel, 'sys/bus/css/drivers_probe')


def test_a_device_number_resolves_through_its_ccw_device(seed):
    assert subchannel_of(Host(), '0.0.2b09') == '0.0.0313'
    assert subchannel_of(Host(), '0.0.2b0a') == '0.0.0314'
    assert subchannel_of(Host(), '0.0.f500') == '0.0.0000'


def test_a_device_whose_subchannel_is_bound_to_vfio_ccw_resolves_through_dev_busid(seed):
    bind_to_vfio_ccw(seed, '0.0.0313')
    assert not os.path.exists(seed.path('sys/bus/ccw/devices/0.0.2b09'))
    assert subchannel_of(Host(), '0.0.2b09') == '0.0.0313'


def test_an_ignored_or_unknown_device_number_has_no_subchannel(seed):
    assert subchannel_of(Host(), '0.0.2c01') is None
    assert subchannel_of(Host(), '0.0.beef') is None


def test_without_a_css_bus_there_is_no_subchannel(tmp_path):
    assert subchannel_of(Host(str(tmp_path)), '0.0.2b09') is None


def test_dev_busid_is_matched_on_a_plain_sysfs_tree(tmp_path):
    for sch, busid in (('0.0.0313', '0.0.2b09'), ('0.0.0314', '0.0.2b0a')):
        d = tmp_path / 'sys' / 'bus' / 'css' / 'devices' / sch
        d.mkdir(parents=True)
        (d / 'dev_busid').write_text(busid + '\n')
    assert subchannel_of(Host(str(tmp_path)), '0.0.2b0a') == '0.0.0314'
