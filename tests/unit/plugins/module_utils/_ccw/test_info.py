"""resolve on the seed host: device numbers to subchannels, drivers and cio_ignore state, as ccw_info reports."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._ccw.info import resolve
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

DASD_2B09 = {'device': '0.0.2b09', 'subchannel': '0.0.0313', 'subchannel_driver': 'io_subchannel',
             'ccw_driver': 'dasd-eckd', 'online': True, 'cutype': '3990/e9', 'devtype': '3390/0c', 'ignored': False}
HIDDEN_2C01 = {'device': '0.0.2c01', 'subchannel': None, 'subchannel_driver': None, 'ccw_driver': None,
               'online': None, 'cutype': None, 'devtype': None, 'ignored': True}


def test_a_dasd_resolves_to_its_subchannel_and_drivers(seed):
    assert resolve(Host(), ['0.0.2b09']) == [DASD_2B09]


def test_a_device_hidden_by_cio_ignore_has_no_subchannel_and_is_ignored(seed):
    assert resolve(Host(), ['0.0.2c01']) == [HIDDEN_2C01]


def test_short_device_numbers_are_canonicalised_and_order_is_kept(seed):
    out = resolve(Host(), ['2c01', '0.0.2B09', 'f500'])
    assert [e['device'] for e in out] == ['0.0.2c01', '0.0.2b09', '0.0.f500']
    assert out[2]['subchannel'] == '0.0.0000' and out[2]['ccw_driver'] == 'qeth'


def test_a_subchannel_on_vfio_ccw_is_found_though_its_ccw_device_is_gone(seed):
    seed.write('0.0.0313', 'sys/bus/css/drivers/io_subchannel/unbind')
    seed.write('vfio_ccw', 'sys/bus/css/devices/0.0.0313/driver_override')
    seed.write('0.0.0313', 'sys/bus/css/drivers_probe')
    entry = resolve(Host(), ['0.0.2b09'])[0]
    assert (entry['subchannel'], entry['subchannel_driver'], entry['ccw_driver'], entry['online']) == (
        '0.0.0313', 'vfio_ccw', None, None)


def test_given_ranges_are_used_instead_of_proc_cio_ignore(seed):
    assert resolve(Host(), ['0.0.2c01'], ranges=[])[0]['ignored'] is False
    assert resolve(Host(), ['0.0.2b09'], ranges=[((0, 0x2b00), (0, 0x2bff))])[0]['ignored'] is True


def test_an_invalid_device_number_is_refused(tmp_path):
    with pytest.raises(InvalidArgument) as exc:
        resolve(Host(str(tmp_path)), ['dasd1'], ranges=[])
    assert exc.value.extra == {'field': 'devices'}
