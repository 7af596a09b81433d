"""Device numbers to subchannels, and cio_ignore."""

import os

RULE = 'etc/udev/rules.d/41-vfio-passthrough-cio-ignore.rules'


def test_resolve_through_ccw_device_and_dev_busid(seed, module):
    info = module('ccw_info', devices=['0.0.2b09', '2b0a', '0.0.2c01'])
    by = dict((d['device'], d) for d in info['devices'])
    assert by['0.0.2b09']['subchannel'] == '0.0.0313' and by['0.0.2b09']['ccw_driver'] == 'dasd-eckd'
    assert by['0.0.2b0a']['subchannel'] == '0.0.0314' and by['0.0.2b0a']['online'] is True
    assert by['0.0.2c01'] == {'device': '0.0.2c01', 'subchannel': None, 'subchannel_driver': None,
                              'ccw_driver': None, 'online': None, 'cutype': None, 'devtype': None, 'ignored': True}
    module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')
    after = module('ccw_info', devices=['0.0.2b09'])['devices'][0]
    assert (after['subchannel'], after['subchannel_driver'], after['ccw_driver']) == ('0.0.0313', 'vfio_ccw', None)


def test_free_from_cio_ignore(seed, module, playbook):
    check = playbook([{'vfio.passthrough.cio_ignore': {'devices': ['0.0.2c01']}}], check=True)
    assert check.changed == 1 and seed.writes() == []
    result = module('cio_ignore', devices=['0.0.2c01'])
    assert result['changed'] and result['devices'] == {'0.0.2c01': 'free'}
    assert result['subchannels'] == {'0.0.2c01': '0.0.0315'}  # what the vfio_ccw role binds next
    assert seed.read('proc/cio_ignore').split() == ['0.0.2c00', '0.0.2c02-0.0.2cff']
    assert module('ccw_info', devices=['0.0.2c01'])['devices'][0]['subchannel'] == '0.0.0315'
    assert not module('cio_ignore', devices=['0.0.2c01'])['changed']
    # persistent by default: the udev rule frees it at the next IPL too
    assert result['freed_at_boot'] == ['0.0.2c01'] and 'free-ccw 0.0.2c01"' in seed.read(RULE)
    assert result['actions'] == ['install /usr/libexec/vfio-passthrough/free-ccw',
                                 'free 0.0.2c01 at boot in /' + RULE, 'write "free 0.0.2c01" to /proc/cio_ignore']
    back = module('cio_ignore', devices=['0.0.2c01'], state='present', persistent=False)
    assert back['changed'] and back['freed_at_boot'] == ['0.0.2c01']  # until the next IPL only


def test_freeing_a_device_that_does_not_exist_says_so(seed, module):
    result = module('cio_ignore', devices=['0.0.2c05'])
    assert result['failed'] and 'no subchannel has appeared for 0.0.2c05' in result['msg']
    assert seed.read('proc/cio_ignore') == '0.0.2c00-0.0.2cff'  # put back
    assert not os.path.exists(seed.path(RULE))


def test_bad_device_number(seed, module):
    result = module('ccw_info', devices=['0.0.2b09/..'])
    assert result['failed'] and 'not a subchannel or device bus id' in result['msg']
