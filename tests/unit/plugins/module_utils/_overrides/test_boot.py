"""Boot-time files that apply persisted overrides without driverctl: what is missing, and installing them."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides import boot

SCRIPT = '/usr/libexec/vfio-passthrough/apply-overrides'
RULE = '/etc/udev/rules.d/89-vfio-passthrough-overrides.rules'
UNIT = '/etc/systemd/system/vfio-passthrough-overrides.service'
LINK = '/etc/systemd/system/multi-user.target.wants/vfio-passthrough-overrides.service'


def at(host, shown):
    """The path below the root of a path as shown on the host."""
    return host.path(shown.lstrip('/'))


def installed(tmp_path):
    host = Host(str(tmp_path))
    boot.boot_files(host).install()
    return host


def test_on_an_empty_root_every_file_and_the_unit_link_are_missing(tmp_path):
    assert boot.boot_files(Host(str(tmp_path))).missing() == [SCRIPT, RULE, UNIT, LINK]


def test_install_writes_each_file_with_its_mode_and_enables_the_unit(tmp_path):
    host = installed(tmp_path)
    for path, text, mode in boot.boot_files(host).files:
        with open(path) as f:
            assert f.read() == text
        assert os.stat(path).st_mode & 0o777 == mode
    assert oct(os.stat(at(host, SCRIPT)).st_mode & 0o777) == '0o755'
    assert os.readlink(at(host, LINK)) == '../vfio-passthrough-overrides.service'
    assert boot.boot_files(host).missing() == []


def test_a_file_that_differs_or_has_another_mode_is_missing(tmp_path):
    host = installed(tmp_path)
    with open(at(host, RULE), 'a') as f:
        f.write('# edited\n')
    os.chmod(at(host, SCRIPT), 0o644)
    assert boot.boot_files(host).missing() == [SCRIPT, RULE]
    boot.boot_files(host).install()
    assert boot.boot_files(host).missing() == []


def test_a_missing_unit_link_is_reported_alone(tmp_path):
    host = installed(tmp_path)
    os.unlink(at(host, LINK))
    assert boot.boot_files(host).missing() == [LINK]


def test_a_directory_in_place_of_a_file_is_missing_and_install_reports_it(tmp_path):
    host = Host(str(tmp_path))
    os.makedirs(at(host, UNIT))
    assert UNIT in boot.boot_files(host).missing()
    with pytest.raises(ConfigError) as exc:
        boot.boot_files(host).install()
    assert exc.value.msg == '%s is not a regular file; it is left alone' % UNIT


def test_the_files_point_at_each_other_and_at_driverctl_d():
    assert '/etc/driverctl.d' in boot.SCRIPT_TEXT and boot.SCRIPT_TEXT.startswith('#!/bin/sh\n')
    assert 'RUN+="%s $env{SUBSYSTEM}-$kernel"' % SCRIPT in boot.UDEV_TEXT
    assert 'ExecStart=%s\n' % SCRIPT in boot.UNIT_TEXT and 'WantedBy=multi-user.target\n' in boot.UNIT_TEXT
