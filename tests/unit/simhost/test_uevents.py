"""The uevents the simulated kernel sends, in-process (simkernel.load), without FUSE.

What each is and where it comes from: the driver core (device_add KOBJ_ADD, driver_bound KOBJ_BIND,
__device_release_driver KOBJ_UNBIND, device_del KOBJ_REMOVE, kobject_synth_uevent for writes to
``uevent``), mdev_core.c (MDEV_STATE on the parent, s390-sysfs.md section 4), ap_bus.c (INITSCAN,
BINDINGS/COMPLETECOUNT, APMASK/AQMASK on /devices/ap, the card and queue variables, section 2).
"""

import errno
import os
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SIMHOST = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'simhost')
sys.path.insert(0, SIMHOST)
import simkernel  # noqa: E402  (after the path set-up)
from simhost import renumber  # noqa: E402
from support.kernelio import write  # noqa: E402

UUID = '7e270a12-6a3b-4b6f-9d5e-1f2a3b4c4a51'


def load(name, **changes):
    with open(os.path.join(SIMHOST, 'scenarios', name + '.yaml')) as f:
        scenario = yaml.safe_load(f)
    scenario.update(changes)
    return simkernel.load(scenario)


def short(events, skip=('ACTION', 'DEVPATH', 'SUBSYSTEM', 'SEQNUM')):
    return [(e['action'], e['devpath'], dict((k, v) for k, v in e['env'].items() if k not in skip)) for e in events]


def since(kernel, mark):
    return short(kernel.events[mark:])


def test_every_event_has_the_kernel_keys_in_order_and_rising_seqnums():
    k = load('seed')
    assert [e['seqnum'] for e in k.events] == list(range(1, len(k.events) + 1))
    first = k.events[0]
    assert list(first['env'])[:3] == ['ACTION', 'DEVPATH', 'SUBSYSTEM'] and list(first['env'])[-1] == 'SEQNUM'
    assert short(k.events[:4]) == [
        ('add', '/devices/css0/0.0.0313', {'ST': '0', 'MODALIAS': 'css:t0'}),
        ('add', '/devices/css0/0.0.0313/0.0.2b09', {'CU_TYPE': '3990', 'CU_MODEL': 'E9', 'DEV_TYPE': '3390',
                                                    'DEV_MODEL': '0C', 'MODALIAS': 'ccw:t3990mE9dt3390dm0C'}),
        ('bind', '/devices/css0/0.0.0313/0.0.2b09', {'DRIVER': 'dasd-eckd', 'CU_TYPE': '3990', 'CU_MODEL': 'E9',
                                                     'DEV_TYPE': '3390', 'DEV_MODEL': '0C',
                                                     'MODALIAS': 'ccw:t3990mE9dt3390dm0C'}),
        ('bind', '/devices/css0/0.0.0313', {'DRIVER': 'io_subchannel', 'ST': '0', 'MODALIAS': 'css:t0'})]


def test_ap_bus_initial_scan_then_bindings_complete_once():
    k = load('seed')
    root = [e for e in short(k.events) if e[1] == '/devices/ap']
    assert root == [('change', '/devices/ap', {'INITSCAN': 'done'}),
                    ('change', '/devices/ap', {'BINDINGS': 'complete', 'COMPLETECOUNT': '1'})]
    assert k.read(k.tree.get('/sys/bus/ap/bindings_complete_count')) == '1\n'
    card = [e for e in short(k.events) if e[1] == '/devices/ap/card03'][0]
    assert card == ('add', '/devices/ap/card03', {'DEV_TYPE': '000D', 'MODALIAS': 'ap:t0D', 'MODE': 'cca'})


def test_mask_change_sends_the_mask_then_a_new_completion():
    k = load('seed')
    mark = len(k.events)
    assert write(k, '/sys/bus/ap/apmask', '-3') == 0
    got = since(k, mark)
    assert got[0] == ('change', '/devices/ap', {'APMASK': '0xebff' + 'f' * 60 + '\n'})
    assert ('unbind', '/devices/ap/card03/03.0010', {'MODE': 'cca'}) in got
    assert ('bind', '/devices/ap/card03/03.0010', {'DRIVER': 'vfio_ap', 'MODE': 'cca'}) in got
    assert got[-1] == ('change', '/devices/ap', {'BINDINGS': 'complete', 'COMPLETECOUNT': '2'})
    mark = len(k.events)
    assert write(k, '/sys/bus/ap/apmask', '-3') == 0  # no change: no event
    assert since(k, mark) == []


def test_counter_absent_where_the_scenario_says_so():
    k = load('seed', ap=dict(load_spec('seed')['ap'], bindings_complete_count=False))
    assert k.tree.get('/sys/bus/ap/bindings_complete_count') is None


def load_spec(name):
    with open(os.path.join(SIMHOST, 'scenarios', name + '.yaml')) as f:
        return yaml.safe_load(f)


def test_vfio_ccw_bind_registers_an_mdev_parent_with_a_change_event():
    k = load('seed')
    sch = '/sys/devices/css0/0.0.0313'  # tree.get follows no links
    assert write(k, sch + '/driver_override', 'vfio_ccw\n') == 0
    mark = len(k.events)
    assert write(k, '/sys/bus/css/drivers/io_subchannel/unbind', '0.0.0313') == 0
    assert since(k, mark) == [
        ('unbind', '/devices/css0/0.0.0313/0.0.2b09', {'CU_TYPE': '3990', 'CU_MODEL': 'E9', 'DEV_TYPE': '3390',
                                                       'DEV_MODEL': '0C', 'MODALIAS': 'ccw:t3990mE9dt3390dm0C'}),
        ('remove', '/devices/css0/0.0.0313/0.0.2b09', {'CU_TYPE': '3990', 'CU_MODEL': 'E9', 'DEV_TYPE': '3390',
                                                       'DEV_MODEL': '0C', 'MODALIAS': 'ccw:t3990mE9dt3390dm0C'}),
        ('unbind', '/devices/css0/0.0.0313', {'ST': '0', 'MODALIAS': 'css:t0'})]
    mark = len(k.events)
    assert write(k, '/sys/bus/css/drivers_probe', '0.0.0313') == 0
    assert since(k, mark) == [
        ('change', '/devices/css0/0.0.0313', {'MDEV_STATE': 'registered', 'DRIVER': 'vfio_ccw', 'ST': '0',
                                              'MODALIAS': 'css:t0'}),
        ('bind', '/devices/css0/0.0.0313', {'DRIVER': 'vfio_ccw', 'ST': '0', 'MODALIAS': 'css:t0'})]
    mark = len(k.events)
    assert write(k, sch + '/mdev_supported_types/vfio_ccw-io/create', UUID) == 0
    mdev = '/devices/css0/0.0.0313/' + UUID
    assert since(k, mark) == [('add', mdev, {}), ('bind', mdev, {'DRIVER': 'vfio_ccw_mdev'})]
    mark = len(k.events)
    assert write(k, '/sys/bus/css/drivers/vfio_ccw/unbind', '0.0.0313') == 0
    assert since(k, mark) == [
        ('unbind', mdev, {}), ('remove', mdev, {}),
        ('change', '/devices/css0/0.0.0313', {'MDEV_STATE': 'unregistered', 'DRIVER': 'vfio_ccw', 'ST': '0',
                                              'MODALIAS': 'css:t0'}),
        ('unbind', '/devices/css0/0.0.0313', {'ST': '0', 'MODALIAS': 'css:t0'})]


def test_class_and_matrix_parents_announce_their_registration():
    x86 = short(load('x86').events)
    assert ('change', '/devices/virtual/mtty/mtty', {'MDEV_STATE': 'registered'}) in x86
    seed = short(load('seed').events)
    assert ('change', '/devices/vfio_ap/matrix', {'MDEV_STATE': 'registered', 'DRIVER': 'vfio_ap'}) in seed


def test_freeing_a_device_adds_its_subchannel():
    k = load('seed')
    mark = len(k.events)
    assert write(k, '/proc/cio_ignore', 'free 0.0.2c01') == 0
    assert [e[:2] for e in since(k, mark)] == [
        ('add', '/devices/css0/0.0.0315'), ('add', '/devices/css0/0.0.0315/0.0.2c01'),
        ('bind', '/devices/css0/0.0.0315/0.0.2c01'), ('bind', '/devices/css0/0.0.0315')]


@pytest.mark.parametrize('path, devpath, subsystem', [
    ('/sys/devices/css0/0.0.0313/uevent', '/devices/css0/0.0.0313', 'css'),
    ('/sys/bus/ap/uevent', '/bus/ap', 'bus'),
    ('/sys/bus/css/drivers/vfio_ccw/uevent', '/bus/css/drivers/vfio_ccw', 'drivers'),
])
def test_writing_uevent_synthesizes_the_action(path, devpath, subsystem):
    k = load('seed')
    mark = len(k.events)
    assert write(k, path, 'add') == 0 and write(k, path, 'change\n') == 0
    got = k.events[mark:]
    assert [(e['action'], e['devpath'], e['subsystem'], e['env']['SYNTH_UUID']) for e in got] == [
        ('add', devpath, subsystem, '0'), ('change', devpath, subsystem, '0')]
    assert write(k, path, 'bogus') == errno.EINVAL and len(k.events) == mark + 2


def test_devices_of_no_bus_or_class_send_nothing():
    k = load('seed')
    mark = len(k.events)
    assert write(k, '/sys/devices/css0/uevent', 'add') == 0
    assert k.events[mark:] == []


def test_renumber_reverses_the_io_subchannel_ids():
    spec = renumber(load_spec('seed'))
    css = dict((d['attrs'].get('dev_busid'), (d['name'], d['path'])) for d in spec['buses']['css']['devices'])
    assert css == {'0.0.2b09': ('0.0.0315', 'css0/0.0.0315'), '0.0.2b0a': ('0.0.0000', 'css0/0.0.0000'),
                   '0.0.f500': ('0.0.0314', 'css0/0.0.0314'), '0.0.2c01': ('0.0.0313', 'css0/0.0.0313'),
                   None: ('0.0.ff40', 'css0/0.0.ff40')}
    assert load_spec('seed')['buses']['css']['devices'][0]['name'] == '0.0.0313'  # a copy
    k = simkernel.load(spec)
    assert k.read(k.tree.get('/sys/devices/css0/0.0.0315/dev_busid')) == '0.0.2b09\n'
    assert k.tree.get('/sys/devices/css0/0.0.0313') is None  # 0.0.2c01 is cio_ignore'd
