"""Driver overrides through the library alone, against the simulated host."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.info import list_overrides
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.plan import OverrideRequest, plan_overrides
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import BindError, NotFound
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


def test_planning_only_reads(seed):
    before = seed.snapshot()
    plan = plan_overrides(Host(), [OverrideRequest('css', '0.0.0313', 'vfio_ccw')])
    assert plan.changed
    assert [a.split(' ')[0] for a in plan.changes[0].actions] == ['set', 'unbind', 'set', 'probe', 'persist', 'record']
    assert plan.changes[0].actions[0] == 'set ccw device 0.0.2b09 offline'  # the DASD is online: asked first
    assert plan.changes[0].actions[-1] == ('record that the files of ccw device 0.0.2b09 are kept for 0.0.0313 in '
                                           '/etc/vfio-passthrough/css.d/0.0.2b09')
    assert seed.writes() == [] and seed.snapshot() == before


def test_apply_binds_and_persists(seed):
    plan = plan_overrides(Host(), [OverrideRequest('css', '0.0.0313', 'vfio_ccw')])
    plan.apply()
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw'
    assert seed.read('etc/driverctl.d/css-0.0.0313') == 'vfio_ccw'
    assert seed.read('etc/vfio-passthrough/css.d/0.0.2b09') == 'subchannel=0.0.0313'
    assert [w['path'] for w in seed.writes()] == [
        '/sys/devices/css0/0.0.0313/0.0.2b09/online', '/sys/bus/css/drivers/io_subchannel/unbind',
        '/sys/devices/css0/0.0.0313/driver_override', '/sys/bus/css/drivers_probe']
    assert not plan_overrides(Host(), [OverrideRequest('css', '0.0.0313', 'vfio_ccw')]).changed


def test_failed_bind_restores_previous_driver(seed):
    plan = plan_overrides(Host(), [OverrideRequest('css', '0.0.0000', 'vfio_ccw', force=True)])
    with pytest.raises(BindError) as exc:
        plan.apply()
    assert 'did not bind to vfio_ccw' in exc.value.msg
    assert 'previous state was restored (driver io_subchannel, override (none))' in exc.value.msg
    assert seed.driver('css', '0.0.0000') == 'io_subchannel'
    assert seed.read('sys/bus/css/devices/0.0.0000/driver_override') == '(null)'
    assert not os.path.exists(seed.path('etc/driverctl.d/css-0.0.0000'))


def test_failure_undoes_earlier_devices(seed):
    plan = plan_overrides(Host(), [OverrideRequest('css', '0.0.0313', 'vfio_ccw'),
                                   OverrideRequest('css', '0.0.0000', 'vfio_ccw', force=True)])
    with pytest.raises(BindError) as exc:
        plan.apply()
    assert 'undone: css/0.0.0313' in exc.value.msg
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'
    assert seed.read('sys/bus/css/devices/0.0.0313/driver_override') == '(null)'
    assert not os.path.exists(seed.path('etc/driverctl.d/css-0.0.0313'))


def test_missing_driver_under_simulated_root_is_refused_at_plan_time(seed):
    with pytest.raises(NotFound) as exc:
        plan_overrides(Host(), [OverrideRequest('css', '0.0.0313', 'vfio-pci')])
    assert '/sys/bus/css/drivers/vfio-pci is missing' in exc.value.msg
    assert seed.writes() == []


def test_absent_returns_to_default_driver(x86):
    plan_overrides(Host(), [OverrideRequest('pci', '00:02.0', 'vfio-pci')]).apply()
    assert x86.driver('pci', '0000:00:02.0') == 'vfio-pci'
    plan = plan_overrides(Host(), [OverrideRequest('pci', '00:02.0', state='absent')])
    plan.apply()
    assert x86.driver('pci', '0000:00:02.0') == 'e1000e'
    assert not os.path.exists(x86.path('etc/driverctl.d/pci-0000:00:02.0'))


def test_inventory_reports_driver_override_and_persisted(x86):
    plan_overrides(Host(), [OverrideRequest('pci', '01:00.0', 'vfio-pci', iommu_group=True)]).apply()
    devices, persisted = list_overrides(Host())
    gpu = [d for d in devices if d['device'] == '0000:01:00.0'][0]
    assert gpu == {'bus': 'pci', 'device': '0000:01:00.0', 'driver': 'vfio-pci', 'override': 'vfio-pci',
                   'persisted': 'vfio-pci', 'iommu_group': '12', 'iommu_group_peers': ['0000:01:00.1'],
                   'iommu_group_viable': True}
    assert persisted == [{'bus': 'pci', 'device': '0000:01:00.0', 'driver': 'vfio-pci'},
                         {'bus': 'pci', 'device': '0000:01:00.1', 'driver': 'vfio-pci'}]


def test_each_write_is_undone_exactly_once(seed):
    plan = plan_overrides(Host(), [OverrideRequest('css', '0.0.0313', 'vfio_ccw'),
                                   OverrideRequest('css', '0.0.0000', 'vfio_ccw', force=True)])
    with pytest.raises(BindError):
        plan.apply()
    overrides = [(w['path'].split('/')[-2], w['value'].rstrip('\n')) for w in seed.writes() if w['path'].endswith('driver_override')]
    # each device: its override set once, and put back once (by the plan for the first, by itself for the failing one)
    assert overrides == [('0.0.0313', 'vfio_ccw'), ('0.0.0000', 'vfio_ccw'), ('0.0.0000', ''), ('0.0.0313', '')]


def test_a_failed_save_puts_the_binding_back_once(seed):
    os.makedirs(seed.path('elsewhere'))
    os.symlink(seed.path('elsewhere'), seed.path('etc/driverctl.d'))  # nothing is written through a link
    plan = plan_overrides(Host(), [OverrideRequest('css', '0.0.0313', 'vfio_ccw')])
    with pytest.raises(Exception) as exc:
        plan.apply()
    assert 'previous state was restored' in exc.value.msg
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'
    assert [w['value'].rstrip('\n') for w in seed.writes() if w['path'].endswith('driver_override')] == ['vfio_ccw', '']
