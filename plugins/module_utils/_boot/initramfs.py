# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vfio-pci in the initramfs: a host driver that loads from the initramfs must find vfio-pci there first.

- initramfs-tools (Debian, Ubuntu): the modules are listed in ``/etc/initramfs-tools/modules``
  between the collection's marker lines, and ``update-initramfs -u -k all`` rebuilds the images.
- dracut (Fedora, RHEL, SUSE, and Debian or Ubuntu hosts that use it): ``force_drivers`` in
  ``/etc/dracut.conf.d/vfio-passthrough.conf`` (added and loaded early), and
  ``dracut --regenerate-all -f`` rebuilds the images.

Both rebuild the image of every installed kernel, not only the running one's: the next boot may
start a newer kernel. Both copy /etc/modprobe.d into the image, so the ids and softdeps apply
there too. vfio_virqfd (a module of its own before Linux 6.2) is a dependency of vfio_pci on
those kernels and comes with it; the lists name vfio, vfio_iommu_type1 and vfio_pci only.
"""

import os

from .._core.errors import NotFound
from .._core.host import DRACUT_CONF, INITRAMFS_TOOLS_MODULES
from .programs import Command, find

MODULES = ('vfio', 'vfio_iommu_type1', 'vfio_pci')
BEGIN = '# BEGIN vfio.passthrough: vfio-pci from the initramfs (vfio_pci_boot)'
END = '# END vfio.passthrough'
DRACUT_TEXT = ('# Written by vfio.passthrough (vfio_pci_boot): vfio-pci from the initramfs, before the host drivers.\n'
               'force_drivers+=" %s "\n' % ' '.join(MODULES))
TOOLS = {'initramfs-tools': 'update-initramfs', 'dracut': 'dracut'}


class Initramfs(object):
    """The initramfs generator of this host: ``kind`` (initramfs-tools, dracut), its program and config file."""

    def __init__(self, host, kind, program):
        self.host = host
        self.kind = kind
        self.program = program
        self.path = host.path(*(INITRAMFS_TOOLS_MODULES if kind == 'initramfs-tools' else DRACUT_CONF))

    def text(self, old, present):
        """The config file's new text (None: no file) given its ``old`` text, with the modules or without."""
        if self.kind == 'dracut':
            return DRACUT_TEXT if present else None
        return modules_text(old, present)

    @property
    def command(self):
        """The command that rebuilds the images of every installed kernel."""
        if self.kind == 'dracut':
            return Command(self.host, [self.program, '--regenerate-all', '-f'])
        return Command(self.host, [self.program, '-u', '-k', 'all'])


def detect(host, choice):
    """The Initramfs of ``choice`` (auto, initramfs-tools, dracut), or None (``none``, or auto and no generator).

    auto: initramfs-tools when update-initramfs is found and /etc/initramfs-tools exists, else dracut
    when found, else update-initramfs when found.
    """
    if choice == 'none':
        return None
    if choice in TOOLS:
        program = find(host, TOOLS[choice])
        if program is None:
            raise NotFound('initramfs is %s but %s is not found (on PATH%s)' % (
                choice, TOOLS[choice], '' if host.is_real else ' below the root %s' % host.root),
                value=TOOLS[choice], field='initramfs')
        return Initramfs(host, choice, program)
    update = find(host, 'update-initramfs')
    if update and os.path.isdir(os.path.dirname(host.path(*INITRAMFS_TOOLS_MODULES))):
        return Initramfs(host, 'initramfs-tools', update)
    dracut = find(host, 'dracut')
    if dracut:
        return Initramfs(host, 'dracut', dracut)
    if update:
        return Initramfs(host, 'initramfs-tools', update)
    return None


def modules_text(old, present):
    """/etc/initramfs-tools/modules (``old``, None if missing) with the collection's block, or without it.

    A block already as it should be stays where it is; otherwise every block of the collection (a
    begin marker without its end: the marker line alone) is taken out and, when ``present``, one is
    added at the end. Every other line stays.
    """
    block = [BEGIN] + list(MODULES) + [END]
    lines = (old or '').splitlines(True)
    stripped = [line.strip() for line in lines]
    starts = [i for i, line in enumerate(stripped) if line == BEGIN]
    if present and len(starts) == 1 and stripped[starts[0]:starts[0] + len(block)] == block:
        return old
    if not present and not starts:
        return old  # nothing of the collection's to take out: the file stays byte for byte
    kept, i = [], 0
    while i < len(lines):
        if stripped[i] == BEGIN:
            end = stripped.index(END, i) if END in stripped[i:] else None
            i = (end if end is not None else i) + 1
            continue
        kept.append(lines[i])
        i += 1
    if kept and not kept[-1].endswith('\n'):
        kept[-1] += '\n'
    if present:
        kept += [line + '\n' for line in block]
    if old is None and not kept:
        return None
    return ''.join(kept)
