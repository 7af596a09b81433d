"""Host locks: s390-tools' PID lock protocol, stale locks, time-outs and the order HostLocks takes them in."""

import os
import subprocess
import sys

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import LockError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import AP_LOCK, LOCK, Host
from ansible_collections.vfio.passthrough.plugins.module_utils._core.lock import HostLocks, PidLock


@pytest.fixture
def other_process():
    """A live process that is not this one; ended when the test is done."""
    proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    yield proc.pid
    proc.kill()
    proc.wait()


def dead_pid():
    """The PID of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def hold(path, pid):
    """Leave a lock file as another process would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('%d\n' % pid)


def test_the_lock_file_holds_this_pid_while_held_and_goes_afterwards(tmp_path):
    path = tmp_path / 'run' / 'lock' / 'x.lock'
    with PidLock(str(path), '/run/lock/x.lock') as lock:
        assert lock.held
        assert path.read_text() == '%d\n' % os.getpid()
        assert os.listdir(str(path.parent)) == ['x.lock']  # the temporary file is gone
    assert not lock.held
    assert not path.exists()


def test_a_lock_of_a_dead_process_is_stale_and_taken_over(tmp_path):
    path = tmp_path / 'x.lock'
    hold(path, dead_pid())
    with PidLock(str(path), '/x.lock', timeout=0.5):
        assert path.read_text() == '%d\n' % os.getpid()
    assert not path.exists()


def test_a_lock_held_by_a_live_process_times_out_with_lock_error(tmp_path, other_process):
    path = tmp_path / 'x.lock'
    hold(path, other_process)
    with pytest.raises(LockError) as exc:
        with PidLock(str(path), '/run/lock/x.lock', timeout=0.2):
            pass
    assert exc.value.msg == '/run/lock/x.lock is held by process %d; gave up after 0 s' % other_process
    assert exc.value.path == '/run/lock/x.lock'
    assert path.read_text() == '%d\n' % other_process
    assert os.listdir(str(tmp_path)) == ['x.lock']


def test_a_lock_file_without_a_pid_is_not_taken_over(tmp_path):
    path = tmp_path / 'x.lock'
    path.write_text('garbage\n')
    with pytest.raises(LockError) as exc:
        with PidLock(str(path), '/x.lock', timeout=0.1):
            pass
    assert 'held by process (unknown)' in exc.value.msg
    assert path.read_text() == 'garbage\n'


def test_leaving_does_not_remove_a_lock_another_process_now_owns(tmp_path, other_process):
    path = tmp_path / 'x.lock'
    with PidLock(str(path), '/x.lock'):
        path.write_text('%d\n' % other_process)
    assert path.read_text() == '%d\n' % other_process


def test_host_locks_take_the_collection_lock_then_what_planning_needs_and_release_all(tmp_path):
    host = Host(str(tmp_path))
    own, ap = tmp_path.joinpath(*LOCK), tmp_path.joinpath(*AP_LOCK)
    with HostLocks(host) as locks:
        assert own.read_text() == '%d\n' % os.getpid() and not ap.exists()
        locks.need(AP_LOCK)
        locks.need(AP_LOCK)  # held already: not taken twice
        locks.need(LOCK)
        assert [lock.name for lock in locks.held] == [LOCK, AP_LOCK]
        assert ap.read_text() == '%d\n' % os.getpid()
    assert locks.held == [] and own.read_text() == '' and not ap.exists()  # an flock file stays, unlocked


def test_host_locks_in_check_mode_take_nothing(tmp_path):
    with HostLocks(Host(str(tmp_path)), enabled=False) as locks:
        locks.need(AP_LOCK)
        assert locks.held == []
    assert not (tmp_path / 'run').exists()


def test_host_locks_need_times_out_on_the_ap_lock_s390_tools_hold(tmp_path, other_process):
    hold(tmp_path.joinpath(*AP_LOCK), other_process)
    with HostLocks(Host(str(tmp_path)), timeout=0.1) as locks:
        with pytest.raises(LockError) as exc:
            locks.need(AP_LOCK)
        assert [lock.name for lock in locks.held] == [LOCK]
    assert exc.value.path == '/run/lock/s390apconfig.lock'
    assert exc.value.msg.startswith('/run/lock/s390apconfig.lock is held by process %d' % other_process)
    assert tmp_path.joinpath(*LOCK).read_text() == ''


def test_the_collection_lock_is_an_flock_the_kernel_releases_when_its_process_dies(tmp_path):
    import fcntl
    import subprocess
    import sys
    path = tmp_path.joinpath(*LOCK)
    path.parent.mkdir(parents=True)
    # a process that takes the flock and is killed: nothing stale is left behind
    code = 'import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); ' \
           'fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b"4242\\n"); print("held", flush=True); time.sleep(60)'
    proc = subprocess.Popen([sys.executable, '-c', code, str(path)], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b'held\n'
    waited = []
    with pytest.raises(LockError) as exc:
        with HostLocks(Host(str(tmp_path)), timeout=0.2, waiting=waited.append):
            pass
    assert 'is held by process 4242' in exc.value.msg and 'waiting up to' in waited[0]
    proc.kill()
    proc.wait()
    with HostLocks(Host(str(tmp_path)), timeout=1):
        assert path.read_text() == '%d\n' % os.getpid()
    fd = os.open(str(path), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released
    os.close(fd)
