"""systemd and udev are told of changed units and rules only on a real root where they run."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core import services
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._core.tools import Tools


def test_below_another_root_nothing_is_reloaded(tmp_path):
    assert services.reload_systemd(Host(str(tmp_path))) is False
    assert services.reload_udev(Host(str(tmp_path))) is False


class Recorded(Tools):
    """Programs are found in /usr/bin and recorded instead of run."""

    def __init__(self, rc=0):
        self.ran, self.rc = [], rc

    def which(self, name):
        return '/usr/bin/' + name

    def run(self, argv, stdin=None, timeout=None):
        self.ran.append(argv)
        return self.rc, '', 'Failed to reload daemon: Access denied' if self.rc else ''


def test_on_the_real_root_only_what_runs_is_reloaded(monkeypatch, tmp_path):
    (tmp_path / 'systemd').mkdir()
    monkeypatch.setattr(services, 'SYSTEMD_RUNNING', str(tmp_path / 'systemd'))
    monkeypatch.setattr(services, 'UDEV_RUNNING', str(tmp_path / 'no-udev'))
    tools = Recorded()
    host = Host('/', tools)
    assert services.reload_systemd(host) is True and services.reload_udev(host) is False
    assert tools.ran == [['/usr/bin/systemctl', 'daemon-reload']]


def test_a_failed_reload_says_what_ran_and_what_it_said(monkeypatch, tmp_path):
    (tmp_path / 'systemd').mkdir()
    monkeypatch.setattr(services, 'SYSTEMD_RUNNING', str(tmp_path / 'systemd'))
    with pytest.raises(ConfigError) as exc:
        services.reload_systemd(Host('/', Recorded(rc=1)))
    assert exc.value.msg == '/usr/bin/systemctl daemon-reload failed (exit 1): Failed to reload daemon: Access denied'
