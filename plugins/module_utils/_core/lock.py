# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host locks, so that two runs (or this collection and s390-tools) do not interleave their changes.

The collection's own lock, ``/run/lock/vfio-passthrough.lock``, is an ``flock(2)`` on that file:
the kernel releases it when its process dies, so there is no stale lock to take over and no
race between two processes that both saw a dead owner (the file holds the owner's PID only
for people reading it). ``/run/lock/s390apconfig.lock`` is s390-tools' AP lock, and keeps their
protocol: the file holds the owner's PID and a newline, it is created by linking a temporary
file into place (atomic), and a lock whose PID is gone is stale. s390-tools' ``ap-check``
callout accepts it when its parent (this module) holds it.
"""

import errno as E
import fcntl
import os
import time

from .errors import LockError
from .host import LOCK


def _owner(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == E.EPERM
    return True


class PidLock(object):
    """One lock file, held by this process while in the ``with`` block."""

    def __init__(self, path, display, timeout=300):
        self.path = path
        self.display = display
        self.timeout = timeout
        self.held = False

    def _claim(self):
        """Write this process's PID to a temporary file beside the lock (a full or read-only /run fails here)."""
        directory = os.path.dirname(self.path)
        tmp = '%s.%d.%d' % (self.path, os.getpid(), int(time.time() * 1000) % 100000)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            with open(tmp, 'w') as f:
                f.write('%d\n' % os.getpid())
        except OSError as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise LockError('cannot take the lock %s: writing %s failed: %s (%s)' % (
                self.display, os.path.dirname(self.display), E.errorcode.get(exc.errno, exc.errno), exc.strerror),
                path=self.display, errno=exc.errno)
        return tmp

    def __enter__(self):
        tmp = self._claim()
        try:
            deadline = time.time() + self.timeout
            pause = 0.05
            while True:
                try:
                    os.link(tmp, self.path)
                    self.held = True
                    return self
                except OSError as exc:
                    if exc.errno != E.EEXIST:
                        raise LockError('cannot create the lock %s: %s' % (self.display, exc.strerror),
                                        path=self.display, errno=exc.errno)
                owner = _owner(self.path)
                if owner and not _alive(owner):
                    try:
                        os.unlink(self.path)  # stale: its process is gone
                    except OSError:
                        pass
                    continue
                if time.time() > deadline:
                    raise LockError('%s is held by process %s; gave up after %d s' % (
                        self.display, owner or '(unknown)', self.timeout), path=self.display)
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
        finally:
            os.unlink(tmp)

    def __exit__(self, *exc):
        if self.held and _owner(self.path) == os.getpid():
            os.unlink(self.path)
        self.held = False


class FlockLock(object):
    """An ``flock(2)`` on one file, held by this process while in the ``with`` block.

    ``waiting`` is called once when the lock is busy, before waiting for it (a warning to the user).
    """

    def __init__(self, path, display, timeout=300, waiting=None):
        self.path = path
        self.display = display
        self.timeout = timeout
        self.waiting = waiting
        self.fd = None

    def _open(self):
        try:
            directory = os.path.dirname(self.path)
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise LockError('cannot take the lock %s: %s (%s)' % (
                self.display, E.errorcode.get(exc.errno, exc.errno), exc.strerror), path=self.display, errno=exc.errno)

    def __enter__(self):
        fd = self._open()
        deadline = time.time() + self.timeout
        pause = 0.05
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (E.EAGAIN, E.EACCES):
                    os.close(fd)
                    raise LockError('cannot take the lock %s: %s' % (self.display, exc.strerror),
                                    path=self.display, errno=exc.errno)
            if time.time() > deadline:
                owner = _owner(self.path)
                os.close(fd)
                raise LockError('%s is held by process %s; gave up after %d s' % (
                    self.display, owner or '(unknown)', self.timeout), path=self.display)
            if self.waiting is not None:
                self.waiting('%s is held by process %s; waiting up to %d s for it' % (
                    self.display, _owner(self.path) or '(unknown)', self.timeout))
                self.waiting = None
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        self.fd = fd
        try:  # who holds it, for people and tools that read the file; the flock is what counts
            os.ftruncate(fd, 0)
            os.pwrite(fd, ('%d\n' % os.getpid()).encode(), 0)
        except OSError:
            pass
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)  # closing releases the flock
            self.fd = None


class HostLocks(object):
    """The host locks one module run holds: the collection's own, and others as planning asks for them.

    A plan declares what it needs by calling ``need(AP_LOCK)`` before it reads what that lock
    guards, so the policy lives with the plan. Locks are always taken in one order (the
    collection's first), so two runs cannot deadlock. With ``enabled`` false (check mode) nothing
    is taken.
    """

    def __init__(self, host, enabled=True, timeout=300, waiting=None):
        self.host = host
        self.enabled = enabled
        self.timeout = timeout
        self.waiting = waiting
        self.held = []

    def need(self, name):
        """Take the lock ``name`` (a path tuple such as AP_LOCK) unless it is held already."""
        if not self.enabled or any(lock.name == name for lock in self.held):
            return
        path = self.host.path(*name)
        if name == LOCK:
            lock = FlockLock(path, self.host.display(path), self.timeout, self.waiting)
        else:
            lock = PidLock(path, self.host.display(path), self.timeout)
        lock.name = name
        lock.__enter__()
        self.held.append(lock)

    def __enter__(self):
        self.need(LOCK)
        return self

    def __exit__(self, *exc):
        while self.held:
            self.held.pop().__exit__(*exc)
