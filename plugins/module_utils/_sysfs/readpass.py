# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A reading pass: sysfs directories held open so that each attribute costs one lookup."""

import os

from . import attr


class ReadPass(object):
    """One reading pass over sysfs: directories held open, and what readers computed in it.

    A path from / is looked up again component by component on every open, symlinks such as
    /sys/bus/mdev/devices/<uuid> resolved each time; below an open directory only the rest is.
    On a host with a thousand mdevs that is the difference between one pass and several.
    """

    def __init__(self):
        self._fds = {}
        self.device_dirs = {}  # uuid -> the directory its device lives in (its parent device)
        self.memo = {}  # what readers computed in this pass, by their own keys

    def fd(self, directory):
        """An open handle of ``directory`` (opened once), or None if it cannot be opened."""
        if directory not in self._fds:
            try:
                self._fds[directory] = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                self._fds[directory] = None
        return self._fds[directory]

    def read(self, directory, name, default=None):
        """read() of ``directory/name``."""
        fd = self.fd(directory)
        if fd is None:
            return default
        return attr.read(name, default, dir_fd=fd, shown_dir=directory)

    def readlink(self, directory, name):
        """The target of the symlink ``directory/name``, or None."""
        fd = self.fd(directory)
        try:
            return os.readlink(name, dir_fd=fd) if fd is not None else None
        except OSError:
            return None

    def target_dir(self, directory, name):
        """The directory the symlink ``directory/name`` points into (a bus link's device's parent), or None."""
        target = self.readlink(directory, name)
        return os.path.normpath(os.path.join(directory, os.path.dirname(target))) if target else None

    def close(self):
        """Close every handle."""
        for fd in self._fds.values():
            if fd is not None:
                os.close(fd)
        self._fds = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
