"""Boot-time files of a feature: one change installs what is missing, and nothing when all is in place."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._core.bootfiles import BootFiles
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

PROGRAM = ('usr', 'libexec', 'vfio-passthrough', 'x')
RULE = ('etc', 'udev', 'rules.d', '99-x.rules')
UNIT = ('etc', 'systemd', 'system', 'x.service')
LINK = ('etc', 'systemd', 'system', 'multi-user.target.wants', 'x.service')


def files(host):
    return BootFiles(host, 'x at boot', [(PROGRAM, '#!/bin/sh\n', 0o755), (RULE, 'ACTION=="add"\n', 0o644),
                                         (UNIT, '[Unit]\n', 0o644)], [(LINK, '../x.service')])


def test_the_change_installs_what_is_missing_and_is_not_a_device(tmp_path):
    host = Host(str(tmp_path))
    change = files(host).change()
    assert change.actions == ['install /usr/libexec/vfio-passthrough/x', 'install /etc/udev/rules.d/99-x.rules',
                              'install /etc/systemd/system/x.service',
                              'install /etc/systemd/system/multi-user.target.wants/x.service']
    assert change.entry is False and change.key == 'x at boot'
    change.apply()  # a root other than / : systemd and udev are not asked to reload
    assert os.stat(host.path(*PROGRAM)).st_mode & 0o777 == 0o755
    assert os.readlink(host.path(*LINK)) == '../x.service'
    assert files(host).change() is None


def test_a_link_to_elsewhere_is_corrected(tmp_path):
    host = Host(str(tmp_path))
    files(host).install()
    os.unlink(host.path(*LINK))
    os.symlink('/dev/null', host.path(*LINK))  # masked by hand
    assert files(host).missing() == ['/etc/systemd/system/multi-user.target.wants/x.service']
