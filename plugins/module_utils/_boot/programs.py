# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The boot programs (grubby, update-grub, grub2-mkconfig, update-initramfs, dracut): found and run safely.

On the real root (``/``) a program is found as Ansible finds programs (``get_bin_path``: the sbin
directories and ``PATH``) and run through ``run_command`` (``host.tools``).

Below another root (``VFIO_PASSTHROUGH_ROOT``, ``root``) these programs would change the real
host's ``/boot`` and initramfs, not the root's. There a program is used only when a directory of
``PATH`` that lies below the root holds it: a stand-in that a test puts there, or the root's own
program when its directory is put on ``PATH`` on purpose. Anything else counts as missing, as on a
host without it; the real host's programs are never run for another root.
"""

import os
import shlex

from .._core.errors import ConfigError
from .._core.tools import Timeout


class Command(object):
    """A program with its arguments; ``shown`` is the same with paths as on the host (without the root)."""

    def __init__(self, host, argv):
        self.host = host
        self.argv = list(argv)

    @property
    def shown(self):
        """The command line for actions and messages."""
        root = self.host.root.rstrip(os.sep) + os.sep
        words = []
        for word in self.argv:
            if not self.host.is_real:
                word = word.replace(root, os.sep)
            words.append(shlex.quote(word))
        return ' '.join(words)

    def run(self):
        """Run it; its output, or ConfigError naming the command, its exit code and what it said."""
        try:
            rc, out, err = self.host.tools.run(self.argv)
        except (OSError, Timeout) as exc:
            raise ConfigError('%s could not run: %s' % (self.shown, exc), value=self.shown, command=self.shown)
        if rc != 0:
            said = (err or '').strip() or (out or '').strip()
            raise ConfigError('%s failed (exit %d)%s' % (self.shown, rc, ': ' + said if said else ''),
                              value=self.shown, command=self.shown, rc=rc, stderr=(err or '').strip())
        return out

    def __eq__(self, other):
        return isinstance(other, Command) and self.argv == other.argv

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return 'Command(%r)' % self.argv


def _below(root, path):
    root = os.path.realpath(root)
    return os.path.realpath(path).startswith(root.rstrip(os.sep) + os.sep)


def find(host, name):
    """The path of program ``name`` for this host, or None (see the module's docstring)."""
    if host.is_real:
        return host.tools.which(name)
    for directory in os.environ.get('PATH', '').split(os.pathsep):
        if not directory or not os.path.isabs(directory) or not _below(host.root, directory):
            continue
        path = os.path.join(directory, name)
        # the program itself, links resolved, must be the root's: a link to the real host's grubby would
        # edit the real /boot
        if os.path.isfile(path) and os.access(path, os.X_OK) and _below(host.root, path):
            return path
    return None
