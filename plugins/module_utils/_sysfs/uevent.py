# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pyudev where it is the right tool: enumeration and waiting for uevents on a real host.

pyudev is optional on the targets. Without it, or when the root is overridden (tests,
chroots), everything here falls back to reading sysfs.
"""

import time


def load(host):
    """The pyudev module if it can serve ``host``, else None."""
    if not host.is_real:
        return None
    try:
        import pyudev
    except ImportError:
        return None
    return pyudev


def list_devices(host, bus):
    """Names of the devices on ``bus`` through libudev, or None to fall back to sysfs."""
    pyudev = load(host)
    if pyudev is None:
        return None
    try:
        return sorted(d.sys_name for d in pyudev.Context().list_devices(subsystem=bus))
    except Exception:  # libudev missing or unusable: sysfs will do
        return None


class UeventWatch(object):
    """Watch the kernel's uevents of one subsystem, started before the write that causes them."""

    def __init__(self, host, subsystem):
        self.host = host
        self.monitor = None
        pyudev = load(host)
        if pyudev is not None:
            try:
                self.monitor = pyudev.Monitor.from_netlink(pyudev.Context(), source='kernel')
                self.monitor.filter_by(subsystem)
                self.monitor.start()
            except Exception:  # no netlink permission or libudev: poll instead
                self.monitor = None

    def wait(self, done, timeout):
        """Return True once ``done()`` holds, waking on uevents (or polling) until ``timeout``."""
        if done():
            return True
        deadline = time.time() + timeout
        if self.monitor is not None:
            while time.time() < deadline:
                self.monitor.poll(timeout=max(deadline - time.time(), 0.01))
                if done():
                    return True
            return done()
        if not self.host.is_real:
            return False  # the simulated host acts synchronously: no event can come later
        pause = 0.02
        while time.time() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
            if done():
                return True
        return False

    def close(self):
        """Stop listening."""
        self.monitor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
