"""load_driver: a registered driver is left as it is; under a simulated root nothing is loaded."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import NotFound
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._core.tools import Tools
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.device import Bus
from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.kmod import load_driver


def css_with_vfio_ccw(tmp_path):
    (tmp_path / 'sys' / 'bus' / 'css' / 'drivers' / 'vfio_ccw').mkdir(parents=True)
    host = Host(str(tmp_path))
    return host, Bus(host, 'css')


def test_a_registered_driver_needs_nothing(tmp_path):
    host, bus = css_with_vfio_ccw(tmp_path)
    assert load_driver(host, bus, 'vfio_ccw') is None


def test_under_a_simulated_root_a_missing_driver_is_not_found_naming_its_path(tmp_path):
    host, bus = css_with_vfio_ccw(tmp_path)
    with pytest.raises(NotFound) as exc:
        load_driver(host, bus, 'vfio-pci')
    assert exc.value.msg == ('driver vfio-pci is not registered on bus css (/sys/bus/css/drivers/vfio-pci is missing); '
                             'kernel modules are only loaded when VFIO_PASSTHROUGH_ROOT is /')
    assert (exc.value.path, exc.value.value) == ('/sys/bus/css/drivers/vfio-pci', 'vfio-pci')


def test_on_the_simulated_seed_host_vfio_ccw_is_registered_and_vfio_pci_is_not_loaded(seed):
    host = Host()
    bus = Bus(host, 'css')
    load_driver(host, bus, 'vfio_ccw')
    with pytest.raises(NotFound) as exc:
        load_driver(host, bus, 'vfio-pci')
    assert exc.value.path == '/sys/bus/css/drivers/vfio-pci'
    assert seed.writes() == []


class FakeBus(object):
    """A bus on the real root, as load_driver sees it: which drivers are registered."""

    name = 'css'

    def __init__(self, drivers):
        self.drivers = set(drivers)

    def has_driver(self, driver):
        return driver in self.drivers

    def driver_path(self, driver):
        return '/sys/bus/css/drivers/' + driver


class Modprobe(Tools):
    """modprobe found in /sbin; it exits with ``rc`` (busybox's exits 0 for vfio-ccw: it loads vfio_ccw)."""

    def __init__(self, rc):
        self.rc, self.ran = rc, []

    def which(self, name):
        return '/sbin/' + name

    def run(self, argv, stdin=None, timeout=None):
        self.ran.append(argv)
        return self.rc, '', 'modprobe: FATAL: Module x not found.' if self.rc else ''


def test_a_modprobe_that_loads_nothing_of_that_name_says_so_and_suggests_the_driver():
    tools = Modprobe(0)
    with pytest.raises(NotFound) as exc:
        load_driver(Host('/', tools), FakeBus(['io_subchannel', 'vfio_ccw']), 'vfio-ccw')
    assert tools.ran == [['/sbin/modprobe', '-q', '--', 'vfio-ccw']]
    assert exc.value.msg.endswith('"modprobe vfio-ccw" did not load it: it exited 0 but no driver vfio-ccw registered '
                                  '(no module of that name, or one whose driver has another name); did you mean '
                                  'vfio_ccw?')
    with pytest.raises(NotFound) as exc:
        load_driver(Host('/', Modprobe(1)), FakeBus(['io_subchannel']), 'vfio_ccw')
    assert exc.value.msg.endswith('did not load it: exit 1, modprobe: FATAL: Module x not found.')
