# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What makes ccw pass-through hold across an IPL: devices freed from cio_ignore at boot.

A host booted with ``cio_ignore=all,!condev`` ignores every device again at the next IPL. As
chzdev does with its ``41-cio-ignore.rules``, a udev rule on the ``add`` event of the ccw bus
frees the devices the collection persisted; the collection keeps its own file (chzdev rewrites
its file from its own configuration, and would drop ours).
"""

import re

from .._core import fileio as _fileio
from .._core.bootfiles import BootFiles
from .._core.host import CHZDEV_CIO_IGNORE_RULE, CIO_IGNORE_RULE, LIBEXEC

FREE_SCRIPT = 'free-ccw'

FREE_TEXT = r'''#!/bin/sh
# Installed by the vfio.passthrough Ansible collection: free the ccw devices given as one
# comma-separated argument from cio_ignore (from 41-vfio-passthrough-cio-ignore.rules at boot).
# VFIO_PASSTHROUGH_ROOT moves /proc.
root=${VFIO_PASSTHROUGH_ROOT:-}
[ "$root" = / ] && root=
[ -n "$1" ] || exit 0
echo "free $1" > "$root/proc/cio_ignore"
'''

_RULE_LIST = re.compile(r'/%s ([0-9a-fA-F.,-]+)"' % FREE_SCRIPT)
_CHZDEV_LIST = re.compile(r'echo free (\S+)')


FREE_PATH = '/' + '/'.join(LIBEXEC + (FREE_SCRIPT,))  # as the rule names it on the host


def boot_files(host):
    """The program the rule runs."""
    return BootFiles(host, 'cio_ignore at boot: program', [(LIBEXEC + (FREE_SCRIPT,), FREE_TEXT, 0o755)])


def rule_text(busids):
    """The rule that frees ``busids`` when the ccw bus appears at boot; None for no devices."""
    if not busids:
        return None
    return ('# Installed by the vfio.passthrough Ansible collection: free these ccw devices from cio_ignore at\n'
            '# boot (as chzdev\'s 41-cio-ignore.rules does), so that their subchannels appear.\n'
            'ACTION=="add", SUBSYSTEM=="subsystem", KERNEL=="ccw", RUN{program}+="%s %s"\n'
            % (FREE_PATH, ','.join(busids)))


def rule_devices(text):
    """The device numbers a rule (the collection's or chzdev's) frees at boot, in order."""
    found = _RULE_LIST.findall(text or '') + _CHZDEV_LIST.findall(text or '')
    return [b.lower() for item in found for b in item.split(',') if b]


def persisted(host):
    """``(text, busids)`` of the collection's rule: what is freed at boot today."""
    path = host.path(*CIO_IGNORE_RULE)
    text = _fileio.read_text(path, host.display(path))
    return text, rule_devices(text)


def freed_by_chzdev(host):
    """The device numbers chzdev's own rule frees at boot (ranges as written)."""
    path = host.path(*CHZDEV_CIO_IGNORE_RULE)
    try:
        return rule_devices(_fileio.read_text(path, host.display(path)))
    except Exception:  # a file of chzdev's the collection cannot read only loses a warning
        return []
