# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Telling systemd and udev that files they read changed, so they count without a reboot."""

import os

from .errors import ConfigError

# where systemd and udevd show that they run (on the real root: a unit or rule below another root is
# the business of whatever boots that root)
SYSTEMD_RUNNING = '/run/systemd/system'
UDEV_RUNNING = '/run/udev/control'


def _run(host, argv, what):
    rc, out, err = host.tools.run(argv)
    if rc != 0:
        raise ConfigError('%s failed (exit %d): %s' % (' '.join(argv), rc, (err + out).strip()), value=what)


def reload_systemd(host):
    """``systemctl daemon-reload`` where systemd runs the host (never below another root). Returns True if run."""
    tool = host.tools.which('systemctl') if host.is_real else None
    if tool is None or not os.path.isdir(SYSTEMD_RUNNING):
        return False
    _run(host, [tool, 'daemon-reload'], 'systemd units')
    return True


def reload_udev(host):
    """``udevadm control --reload`` where udevd runs (never below another root). Returns True if run."""
    tool = host.tools.which('udevadm') if host.is_real else None
    if tool is None or not os.path.exists(UDEV_RUNNING):
        return False
    _run(host, [tool, 'control', '--reload'], 'udev rules')
    return True
