"""read_overrides on the seed host with an odd file in /etc/driverctl.d: reported, never fatal for any bus."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.info import list_overrides, read_overrides
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.store import OverrideStore


@pytest.mark.parametrize('buses', [None, ['css']])
def test_an_odd_file_is_a_problem_and_every_bus_is_listed(seed, buses):
    store = OverrideStore(Host())
    store.set('css', '0.0.0313', 'vfio_ccw')
    store.set('pci', '0000:01:00.0', 'vfio-pci')
    os.symlink(store.path('css', '0.0.0313'), store.path('css', '0.0.0314'))
    devices, persisted, problems = read_overrides(Host(), buses)
    assert [(d['device'], d['persisted']) for d in devices] == [
        ('0.0.0000', None), ('0.0.0313', 'vfio_ccw'), ('0.0.0314', None), ('0.0.ff40', None)]
    assert [(p['bus'], p['device'], p['driver']) for p in persisted] == [
        ('css', '0.0.0313', 'vfio_ccw'), ('pci', '0000:01:00.0', 'vfio-pci')]
    assert problems == [{'bus': 'css', 'device': '0.0.0314', 'path': '/etc/driverctl.d/css-0.0.0314',
                         'msg': '/etc/driverctl.d/css-0.0.0314 is not a regular file; it is left alone'}]
    assert list_overrides(Host(), buses) == (devices, persisted)  # the two-part answer stays as it was


def test_without_odd_files_there_are_no_problems(seed):
    assert read_overrides(Host())[2] == []
