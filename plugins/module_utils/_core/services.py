# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Telling systemd and udev that files they read changed, so they count without a reboot."""

import os
import shutil
import subprocess

from .errors import ConfigError

# where systemd and udevd show that they run (on the real root: a unit or rule below another root is
# the business of whatever boots that root)
SYSTEMD_RUNNING = '/run/systemd/system'
UDEV_RUNNING = '/run/udev/control'


def _run(argv, what):
    proc = subprocess.run(argv, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if proc.returncode != 0:
        raise ConfigError('%s failed (exit %d): %s' % (' '.join(argv), proc.returncode, proc.stdout.strip()),
                          value=what)


def reload_systemd(host):
    """``systemctl daemon-reload`` where systemd runs the host (never below another root). Returns True if run."""
    tool = shutil.which('systemctl')
    if not host.is_real or tool is None or not os.path.isdir(SYSTEMD_RUNNING):
        return False
    _run([tool, 'daemon-reload'], 'systemd units')
    return True


def reload_udev(host):
    """``udevadm control --reload`` where udevd runs (never below another root). Returns True if run."""
    tool = shutil.which('udevadm')
    if not host.is_real or tool is None or not os.path.exists(UDEV_RUNNING):
        return False
    _run([tool, 'control', '--reload'], 'udev rules')
    return True
