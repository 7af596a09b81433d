# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One root for every path the collection touches.

``VFIO_PASSTHROUGH_ROOT`` (default ``/``) moves the whole host: ``/sys``, ``/etc``,
``/proc`` and ``/usr`` are all taken below it. Tests, the demo and chroots use it; no
other file of the collection spells out ``/sys``.
"""


import os

from .names import printable
from .tools import Tools

ROOT_ENV = 'VFIO_PASSTHROUGH_ROOT'

# Every file and directory the collection reads or writes outside /sys, relative to the root.
# Kept here so that one look tells what the collection touches on a host.
LOCK = ('run', 'lock', 'vfio-passthrough.lock')
AP_LOCK = ('run', 'lock', 's390apconfig.lock')  # s390-tools' own AP lock
CIO_IGNORE = ('proc', 'cio_ignore')
CIO_SETTLE = ('proc', 'cio_settle')
PROC_MOUNTS = ('proc', 'mounts')
DRIVERCTL_DIR = ('etc', 'driverctl.d')
DRIVERCTL_BINS = (('usr', 'sbin', 'driverctl'), ('sbin', 'driverctl'))
OVERRIDES_SCRIPT = ('usr', 'libexec', 'vfio-passthrough', 'apply-overrides')
OVERRIDES_RULE = ('etc', 'udev', 'rules.d', '89-vfio-passthrough-overrides.rules')
OVERRIDES_UNIT = ('etc', 'systemd', 'system', 'vfio-passthrough-overrides.service')
OVERRIDES_UNIT_LINK = ('etc', 'systemd', 'system', 'multi-user.target.wants', 'vfio-passthrough-overrides.service')
MDEVCTL_DIR = ('etc', 'mdevctl.d')
MDEVCTL_BINS = (('usr', 'sbin', 'mdevctl'), ('sbin', 'mdevctl'), ('usr', 'bin', 'mdevctl'))
MDEVCTL_RULES = (('etc', 'udev', 'rules.d', '60-mdevctl.rules'), ('usr', 'lib', 'udev', 'rules.d', '60-mdevctl.rules'),
                 ('lib', 'udev', 'rules.d', '60-mdevctl.rules'))  # the first found wins, as udev's order
MDEVS_LOCK = ('run', 'lock', 'vfio-passthrough-mdevs.lock')
MDEVS_SCRIPT = ('usr', 'libexec', 'vfio-passthrough', 'start-mdevs')
MDEVS_RULE = ('etc', 'udev', 'rules.d', '90-vfio-passthrough-mdevs.rules')
LIBEXEC = ('usr', 'libexec', 'vfio-passthrough')  # the collection's boot-time programs
CSS_RECORDS = ('etc', 'vfio-passthrough', 'css.d')  # device number -> the subchannel its files are kept for
CSS_RESOLVE_SCRIPT = LIBEXEC + ('resolve-css',)
CSS_RESOLVE_RULE = ('etc', 'udev', 'rules.d', '04-vfio-passthrough-css.rules')
CIO_IGNORE_RULE = ('etc', 'udev', 'rules.d', '41-vfio-passthrough-cio-ignore.rules')
CHZDEV_CIO_IGNORE_RULE = ('etc', 'udev', 'rules.d', '41-cio-ignore.rules')  # chzdev's own
CALLOUT_DIRS = (('usr', 'lib', 'mdevctl', 'scripts.d', 'callouts'), ('etc', 'mdevctl.d', 'scripts.d', 'callouts'))
NOTIFIER_DIRS = (('usr', 'lib', 'mdevctl', 'scripts.d', 'notifiers'), ('etc', 'mdevctl.d', 'scripts.d', 'notifiers'))
AP_RULE = ('etc', 'udev', 'rules.d', '41-ap.rules')  # the file chzdev --type ap writes
CMDLINE = ('proc', 'cmdline')
# vfio-pci at boot (_boot/): the CPU, early binding, the kernel command line and the initramfs
CPUINFO = ('proc', 'cpuinfo')
MODPROBE_CONF = ('etc', 'modprobe.d', 'vfio-passthrough.conf')  # vfio-pci's ids, softdeps, blacklist
KERNEL_CMDLINE = ('etc', 'kernel', 'cmdline')  # kernel-install's command line for kernels installed later
BLS_ENTRY_DIRS = (('boot', 'loader', 'entries'), ('efi', 'loader', 'entries'), ('boot', 'efi', 'loader', 'entries'))
GRUB_DEFAULT = ('etc', 'default', 'grub')
GRUB_DEFAULT_DIR = ('etc', 'default', 'grub.d')  # read by grub-mkconfig after GRUB_DEFAULT
GRUB2_CFG = ('boot', 'grub2', 'grub.cfg')  # grub2-mkconfig's output (Fedora, RHEL, SUSE)
GRUB_CFG = ('boot', 'grub', 'grub.cfg')  # grub-mkconfig's output (Debian, Ubuntu, Arch)
EFI_DIR = ('boot', 'efi', 'EFI')  # EFI/<distribution>/grub.cfg where /boot/grub2/grub.cfg is missing
INITRAMFS_TOOLS_MODULES = ('etc', 'initramfs-tools', 'modules')
DRACUT_CONF = ('etc', 'dracut.conf.d', 'vfio-passthrough.conf')
SRIOV_RULE = ('etc', 'udev', 'rules.d', '70-vfio-passthrough-sriov.rules')  # the VFs each PF gets at boot


class Host(object):
    """The host the modules act on, seen from ``root``."""

    def __init__(self, root=None, tools=None):
        self.root = os.path.abspath(root or os.environ.get(ROOT_ENV) or '/')
        self.tools = tools or Tools()  # how programs are found and run and files put in place

    @property
    def is_real(self):
        """True when the root is ``/``: kernel modules may be loaded and uevents watched."""
        return self.root == '/'

    def path(self, *parts):
        """A path below the root; ``parts`` are relative components."""
        return os.path.join(self.root, *parts)

    def sys(self, *parts):
        """A path below ``/sys``."""
        return self.path('sys', *parts)

    def bus(self, bus, *parts):
        """A path below ``/sys/bus/<bus>``."""
        return self.path('sys', 'bus', bus, *parts)

    def proc(self, *parts):
        """A path below ``/proc``."""
        return self.path('proc', *parts)

    def display(self, path):
        """``path`` as it is on the host (without the root), printable, for messages and results."""
        if not self.is_real and path.startswith(self.root + os.sep):
            path = path[len(self.root):]
        return printable(path)

    def __repr__(self):
        return 'Host(%r)' % self.root
