# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The programs, udev rules and systemd units a feature installs so that it applies at boot.

Each feature lists its files; a plan adds one change that installs the ones missing or
different, enables the units and has systemd and udev read them now (where they run). The
files act only on what is persisted, so they stay when a later change of the run is undone.
"""

import os
from collections import OrderedDict

from . import fileio as _fileio
from . import services
from .plan import Change


class BootFiles(object):
    """``files``: (parts under the root, text, mode); ``links``: (parts, target) symlinks enabling units."""

    def __init__(self, host, what, files, links=()):
        self.host = host
        self.what = what
        self.files = [(host.path(*parts), text, mode) for parts, text, mode in files]
        self.links = [(host.path(*parts), target) for parts, target in links]

    def missing(self):
        """Paths (as on the host) of the files missing or different, and of the links not in place."""
        out = []
        for path, text, mode in self.files:
            try:
                current = _fileio.read_text(path)
            except Exception:  # a directory or link in the way: install reports it with its errno
                current = None
            if current != text or (os.stat(path).st_mode & 0o777) != mode:
                out.append(self.host.display(path))
        out.extend(self.host.display(path) for path, target in self.links
                   if not (os.path.islink(path) and os.readlink(path) == target))
        return out

    def install(self):
        """Write the files and links, then have systemd and udev read them."""
        for path, text, mode in self.files:
            _fileio.write_atomic(path, text, mode, self.host.display(path), self.host.tools)
        for path, target in self.links:
            _fileio.symlink(path, target, self.host.display(path))
        if self.links or any(p.endswith('.service') for p, _t, _m in self.files):
            services.reload_systemd(self.host)
        if any(p.endswith('.rules') for p, _t, _m in self.files):
            services.reload_udev(self.host)

    def change(self):
        """The change that installs what is missing (not reported as a device), or None."""
        missing = self.missing()
        if not missing:
            return None
        return Change(self.what, OrderedDict([('missing', ', '.join(missing))]), OrderedDict([('missing', None)]),
                      ['install %s' % p for p in missing], self.install, entry=False)
