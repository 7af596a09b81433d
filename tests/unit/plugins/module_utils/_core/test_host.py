"""Host: one root for every path, taken from the argument or VFIO_PASSTHROUGH_ROOT, and paths shown as on the host."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import ROOT_ENV, Host


def test_an_explicit_root_is_made_absolute_and_is_not_real(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    host = Host('sub/../root')
    assert host.root == str(tmp_path / 'root')
    assert not host.is_real


def test_the_root_comes_from_the_environment_then_defaults_to_slash(tmp_path, monkeypatch):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    assert Host().root == str(tmp_path)
    monkeypatch.delenv(ROOT_ENV)
    assert Host().root == '/' and Host().is_real
    assert Host(str(tmp_path)).root == str(tmp_path)


def test_paths_below_sys_bus_and_proc(tmp_path):
    host = Host(str(tmp_path))
    root = str(tmp_path)
    assert host.path('etc', 'driverctl.d') == os.path.join(root, 'etc', 'driverctl.d')
    assert host.sys('class', 'mdev_bus') == os.path.join(root, 'sys', 'class', 'mdev_bus')
    assert host.bus('css', 'devices', '0.0.0313') == os.path.join(root, 'sys', 'bus', 'css', 'devices', '0.0.0313')
    assert host.bus('ap') == os.path.join(root, 'sys', 'bus', 'ap')
    assert host.proc('cio_ignore') == os.path.join(root, 'proc', 'cio_ignore')


def test_display_strips_the_root_only_from_paths_below_it(tmp_path):
    host = Host(str(tmp_path / 'r'))
    assert host.display(host.bus('css', 'drivers_probe')) == '/sys/bus/css/drivers_probe'
    assert host.display(str(tmp_path / 'r2' / 'etc')) == str(tmp_path / 'r2' / 'etc')
    assert host.display('/etc/passwd') == '/etc/passwd'


def test_display_on_the_real_host_is_the_path_itself_and_repr_names_the_root():
    host = Host('/')
    assert host.display('/sys/bus/pci') == '/sys/bus/pci'
    assert host.path('sys') == '/sys'
    assert repr(host) == "Host('/')"
