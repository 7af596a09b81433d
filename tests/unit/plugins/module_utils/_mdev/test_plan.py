"""The mdev planner through the library: resolution, the instance ledger, and undo exactly once."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import (
    ConflictError, InvalidArgument, NotFound, SysfsError)
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.plan import plan_mdevs
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.request import MdevRequest

A = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
B = '5ea6c8d9-2a3b-4c5d-8e9f-0a1b2c3d4e5f'
AP = dict(parent='matrix', mdev_type='vfio_ap-passthrough')


def test_each_step_is_undone_exactly_once(seed):
    plan = plan_mdevs(Host(), [
        MdevRequest(uuid=A, attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}], **AP),
        MdevRequest(uuid=B, attrs=[{'assign_adapter': '0x40'}], **AP),  # above the host's maximum: ENODEV
    ], validate=False)
    with pytest.raises(SysfsError) as exc:
        plan.apply()
    assert 'undone for this device: define' in exc.value.msg and 'undone: %s' % A in exc.value.msg
    paths = [w['path'].rsplit('/', 1)[-1] for w in seed.writes()]
    assert paths.count('create') == 2 and paths.count('remove') == 2
    assert os.listdir(seed.path('sys/bus/mdev/devices')) == []
    assert not os.path.exists(seed.path('etc/mdevctl.d/matrix'))


def test_a_request_without_uuid_finds_its_device_or_gets_one(seed):
    req = dict(attrs=[{'assign_adapter': '5'}], state='defined', **AP)
    plan = plan_mdevs(Host(), [MdevRequest(**req)])
    uuid = plan.changes[0].uuid
    plan.apply()
    again = plan_mdevs(Host(), [MdevRequest(**req)])
    assert again.changes[0].uuid == uuid and not again.changed


def test_listed_twice_is_refused(seed):
    with pytest.raises(InvalidArgument):
        plan_mdevs(Host(), [MdevRequest(uuid=A, **AP), MdevRequest(uuid=A, **AP)])


def test_the_ledger_counts_instances_across_the_run(seed):
    ccw = dict(parent='0.0.0313', mdev_type='vfio_ccw-io')
    seed.write('vfio_ccw', 'sys/bus/css/devices/0.0.0313/driver_override')
    seed.write('0.0.0313', 'sys/bus/css/drivers/io_subchannel/unbind')
    seed.write('0.0.0313', 'sys/bus/css/drivers_probe')
    with pytest.raises(NotFound) as exc:
        plan_mdevs(Host(), [MdevRequest(uuid=A, **ccw), MdevRequest(uuid=B, **ccw)], validate=False)
    assert 'has 1 instance(s) left; cannot start mdev %s' % B in exc.value.msg


def test_validation_refuses_a_shared_apqn(seed):
    same = [{'assign_adapter': '5'}, {'assign_domain': '4'}]
    with pytest.raises(ConflictError) as exc:
        plan_mdevs(Host(), [MdevRequest(uuid=A, attrs=same, **AP), MdevRequest(uuid=B, attrs=same, **AP)])
    assert exc.value.extra['conflicts'][0]['kind'] == 'apqn_in_use'
    assert seed.writes() == []
