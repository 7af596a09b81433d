# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Starting ``auto`` definitions at boot where mdevctl is not installed.

mdevctl's udev rule runs ``mdevctl start-parent-mdevs`` when a parent registers; without
mdevctl nothing would start them. The collection then installs a rule of its own on the same
events (the parent's ``add``, and the ``change`` with ``MDEV_STATE=registered`` that the mdev
core sends when a driver registers the parent) and a program that creates each ``auto``
device of that parent and writes its attributes in order, as ``mdevctl start`` does. mdevctl's
callouts are not run: without mdevctl they are not installed either.
"""

import os

from .._core.bootfiles import BootFiles
from .._core.host import MDEVCTL_BINS, MDEVS_RULE, MDEVS_SCRIPT

# POSIX sh finds a Python 3 (RHEL 8's platform-python too) and hands it the program on stdin
SCRIPT_TEXT = r'''#!/bin/sh
# Installed by the vfio.passthrough Ansible collection, because mdevctl is not installed: start the
# mediated devices defined with "start": "auto" in /etc/mdevctl.d/<parent> (mdevctl's own files),
# for the parent given as argument (from the udev rule) or for every parent. Devices that run
# already are left alone. VFIO_PASSTHROUGH_ROOT moves /sys and /etc.
for py in python3 /usr/libexec/platform-python; do
    command -v "$py" >/dev/null 2>&1 || continue
    exec "$py" - "$@" <<'PYEOF'
import json
import os
import sys

root = os.environ.get('VFIO_PASSTHROUGH_ROOT', '').rstrip('/')
conf = root + '/etc/mdevctl.d'


def write(path, value):
    with open(path, 'w') as f:
        f.write(value)


def start(parent, uuid, definition):
    device = root + '/sys/bus/mdev/devices/' + uuid
    if os.path.exists(device):
        return
    create = '%s/sys/class/mdev_bus/%s/mdev_supported_types/%s/create' % (root, parent, definition['mdev_type'])
    write(create, uuid)
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
sys.exit(main([n for n in names if os.path.isdir(os.path.join(conf, n))]))
PYEOF
done
echo "vfio-passthrough: no python3 found to start the mdevs of ${1:-every parent}" >&2
exit 1
'''

UDEV_TEXT = '''# Installed by the vfio.passthrough Ansible collection, because mdevctl is not installed: start the
# mdevs defined with "start": "auto" in /etc/mdevctl.d/<parent> when their parent registers.
ACTION=="change", ENV{MDEV_STATE}=="registered", TEST=="/etc/mdevctl.d/$kernel", RUN+="/usr/libexec/vfio-passthrough/start-mdevs $kernel"
ACTION=="add", TEST=="/etc/mdevctl.d/$kernel", RUN+="/usr/libexec/vfio-passthrough/start-mdevs $kernel"
'''


def mdevctl_installed(host):
    """True if mdevctl is installed below the root (its udev rule then starts ``auto`` devices)."""
    return any(os.path.exists(host.path(*p)) for p in MDEVCTL_BINS)


def boot_files(host):
    """The rule and program that start ``auto`` definitions without mdevctl."""
    return BootFiles(host, 'boot-time start', [(MDEVS_SCRIPT, SCRIPT_TEXT, 0o755), (MDEVS_RULE, UDEV_TEXT, 0o644)])
