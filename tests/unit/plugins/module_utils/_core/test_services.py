"""systemd and udev are told of changed units and rules only on a real root where they run."""

from ansible_collections.vfio.passthrough.plugins.module_utils._core import services
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


def test_below_another_root_nothing_is_reloaded(tmp_path):
    assert services.reload_systemd(Host(str(tmp_path))) is False
    assert services.reload_udev(Host(str(tmp_path))) is False


def test_on_the_real_root_only_what_runs_is_reloaded(monkeypatch, tmp_path):
    ran = []
    (tmp_path / 'systemd').mkdir()
    monkeypatch.setattr(services, 'SYSTEMD_RUNNING', str(tmp_path / 'systemd'))
    monkeypatch.setattr(services, 'UDEV_RUNNING', str(tmp_path / 'no-udev'))
    monkeypatch.setattr(services.shutil, 'which', lambda name: '/usr/bin/' + name)
    monkeypatch.setattr(services, '_run', lambda argv, what: ran.append(argv))
    assert services.reload_systemd(Host('/')) is True and services.reload_udev(Host('/')) is False
    assert ran == [['/usr/bin/systemctl', 'daemon-reload']]
