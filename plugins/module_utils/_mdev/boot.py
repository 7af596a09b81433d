# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Starting ``auto`` definitions at boot where mdevctl does not.

mdevctl's udev rule runs ``mdevctl start-parent-mdevs`` when a parent registers; without
mdevctl (or with a rule that cannot run it, as Debian 12's) nothing would start them. The collection then installs a rule of its own on the same
events (the parent's ``add``, and the ``change`` with ``MDEV_STATE=registered`` that the mdev
core sends when a driver registers the parent) and a program that creates each ``auto``
device of that parent and writes its attributes in order, as ``mdevctl start`` does. mdevctl's
callouts are not run: without mdevctl they are not installed either.
"""

import os
import re

from .._core.bootfiles import BootFiles
from .._core.host import MDEVCTL_BINS, MDEVCTL_RULES, MDEVS_RULE, MDEVS_SCRIPT

_STARTER = re.compile(r'([^\s\'"{;]*mdevctl)\s+start-parent-mdevs')  # the program, without quotes

# POSIX sh finds a Python 3 (RHEL 8's platform-python too) and hands it the program on stdin
SCRIPT_TEXT = r'''#!/bin/sh
# Installed by the vfio.passthrough Ansible collection, because mdevctl does not start them: start the
# mediated devices defined with "start": "auto" in /etc/mdevctl.d/<parent> (mdevctl's own files),
# for the parent given as argument (from the udev rule) or for every parent. Devices that run
# already are left alone. VFIO_PASSTHROUGH_ROOT moves /sys and /etc.
for py in python3 /usr/libexec/platform-python; do
    command -v "$py" >/dev/null 2>&1 || continue
    exec "$py" - "$@" <<'PYEOF'
import errno
import fcntl
import json
import os
import sys

root = os.environ.get('VFIO_PASSTHROUGH_ROOT', '').rstrip('/')
conf = root + '/etc/mdevctl.d'
lock = root + '/run/lock/vfio-passthrough-mdevs.lock'


def write(path, value):
    with open(path, 'w') as f:
        f.write(value)


def start(parent, uuid, definition):
    device = root + '/sys/bus/mdev/devices/' + uuid
    if os.path.exists(device):
        return
    create = '%s/sys/class/mdev_bus/%s/mdev_supported_types/%s/create' % (root, parent, definition['mdev_type'])
    try:
        write(create, uuid)
    except OSError as exc:
        if exc.errno == errno.EEXIST and os.path.exists(device):
            return  # started meanwhile by mdevctl's rule
        raise
    try:
        for attr in definition.get('attrs') or []:
            for name, value in attr.items():
                write(device + '/' + name, str(value))
    except (OSError, AttributeError) as exc:
        write(device + '/remove', '1')
        raise OSError('%s (the device was removed again)' % exc)


def main(parents):
    failed = 0
    for parent in parents:
        if not os.path.isdir('%s/sys/class/mdev_bus/%s/mdev_supported_types' % (root, parent)):
            continue  # not registered yet: its MDEV_STATE=registered event comes later
        for uuid in sorted(os.listdir(os.path.join(conf, parent))):
            path = os.path.join(conf, parent, uuid)
            try:
                with open(path) as f:
                    definition = json.load(f)
                if definition.get('start') == 'auto':
                    start(parent, uuid, definition)
            except (OSError, ValueError, KeyError, AttributeError) as exc:
                sys.stderr.write('vfio-passthrough: cannot start mdev %s on %s (%s): %s\n' % (uuid, parent, path, exc))
                failed = 1
    return failed


names = sys.argv[1:] or (sorted(os.listdir(conf)) if os.path.isdir(conf) else [])
names = [n for n in names if os.path.isdir(os.path.join(conf, n))]
if names:
    # udev runs the parent's events (add, change) at the same time: one run starts the devices
    if not os.path.isdir(os.path.dirname(lock)):
        os.makedirs(os.path.dirname(lock))
    held = open(lock, 'w')
    fcntl.flock(held, fcntl.LOCK_EX)
sys.exit(main(names))
PYEOF
done
echo "vfio-passthrough: no python3 found to start the mdevs of ${1:-every parent}" >&2
exit 1
'''

UDEV_TEXT = '''# Installed by the vfio.passthrough Ansible collection, because mdevctl does not start them: start the
# mdevs defined with "start": "auto" in /etc/mdevctl.d/<parent> when their parent registers.
ACTION=="change", ENV{MDEV_STATE}=="registered", TEST=="/etc/mdevctl.d/$kernel", RUN+="/usr/libexec/vfio-passthrough/start-mdevs $kernel"
ACTION=="add", SUBSYSTEM!="module|drivers", TEST=="/etc/mdevctl.d/$kernel", RUN+="/usr/libexec/vfio-passthrough/start-mdevs $kernel"
'''


def mdevctl_installed(host):
    """True if mdevctl is installed below the root."""
    return any(os.path.exists(host.path(*p)) for p in MDEVCTL_BINS)


def mdevctl_rule_problem(host):
    """Why mdevctl's udev rule would not start ``auto`` devices at boot, or None when it would.

    Debian 12's mdevctl 1.2.0 installs ``/usr/bin/mdevctl`` while its rule runs
    ``/usr/sbin/mdevctl``: installed, it never starts a device at boot.
    """
    rule = next((host.path(*p) for p in MDEVCTL_RULES if os.path.exists(host.path(*p))), None)
    if rule is None:
        return "mdevctl's udev rule (60-mdevctl.rules) is not installed"
    try:
        with open(rule) as f:
            programs = set(_STARTER.findall(f.read()))
    except (IOError, OSError, UnicodeError) as exc:
        return 'mdevctl\'s udev rule %s cannot be read (%s)' % (host.display(rule), exc)
    missing = sorted(p for p in programs if p.startswith('/') and not os.path.exists(host.path(p.lstrip('/'))))
    if not programs:
        return 'mdevctl\'s udev rule %s runs no start-parent-mdevs' % host.display(rule)
    if missing:
        return 'mdevctl\'s udev rule %s runs %s, which does not exist' % (host.display(rule), ', '.join(missing))
    return None


def boot_starter(host):
    """``(who, why)``: ``mdevctl`` when its rule will start ``auto`` devices, else ``builtin`` and why not."""
    if not mdevctl_installed(host):
        return 'builtin', None
    problem = mdevctl_rule_problem(host)
    return ('builtin', problem) if problem else ('mdevctl', None)


def boot_files(host):
    """The rule and program that start ``auto`` definitions without mdevctl."""
    return BootFiles(host, 'boot-time start', [(MDEVS_SCRIPT, SCRIPT_TEXT, 0o755), (MDEVS_RULE, UDEV_TEXT, 0o644)])
