"""Files that follow a ccw device to its subchannel at boot: the records, and the boot-time program run on a root."""

import os
import shutil
import subprocess

from ansible_collections.vfio.passthrough.plugins.module_utils._ccw import devno
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

SH = os.environ.get('TEST_SH', '/bin/sh')  # TEST_SH=<a link to busybox named sh>: the s390x guest's shell
A, B = '0.0.0313', '0.0.0314'
UA, UB = 'aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002'


def at(root, *parts):
    return os.path.join(str(root), *parts)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


def subchannels(root, carried):
    """The css devices of this boot: {subchannel: device number}."""
    for sch, busid in carried.items():
        write(at(root, 'sys/bus/css/devices', sch, 'dev_busid'), busid + '\n')


def persisted(root, busid, sch, uuid):
    """What driver_override and mdev leave for a device on a subchannel."""
    write(at(root, 'etc/vfio-passthrough/css.d', busid), 'subchannel=%s\n' % sch)
    write(at(root, 'etc/driverctl.d', 'css-' + sch), 'vfio_ccw\n')
    write(at(root, 'etc/mdevctl.d', sch, uuid), '{"mdev_type": "vfio_ccw-io", "start": "auto", "attrs": []}\n')


def resolve(root, *args):
    script = at(root, 'resolve-css')
    write(script, devno.SCRIPT_TEXT)
    done = subprocess.run([SH, script] + list(args), env=dict(os.environ, VFIO_PASSTHROUGH_ROOT=str(root)),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert done.returncode == 0 and done.stdout == '', done.stderr  # IMPORT{program} would read stdout
    return done.stderr


def files(root):
    """Every file below etc, relative to it."""
    top = at(root, 'etc')
    return sorted(os.path.relpath(os.path.join(d, f), top) for d, _s, fs in os.walk(top) for f in fs)


def test_renumbered_subchannels_take_their_devices_files_with_them(tmp_path):
    persisted(tmp_path, A, '0.0.0000', UA)
    persisted(tmp_path, B, '0.0.0001', UB)
    subchannels(tmp_path, {'0.0.0000': B, '0.0.0001': A})  # attached the other way round at this IPL
    said = resolve(tmp_path, '0.0.0000')
    assert 'the files of ccw device 0.0.0313 now belong to subchannel 0.0.0001' in said
    assert files(tmp_path) == ['driverctl.d/css-0.0.0000', 'driverctl.d/css-0.0.0001', 'mdevctl.d/0.0.0000/' + UB,
                               'mdevctl.d/0.0.0001/' + UA, 'vfio-passthrough/css.d/0.0.0313',
                               'vfio-passthrough/css.d/0.0.0314']
    assert read(at(tmp_path, 'etc/vfio-passthrough/css.d', A)) == 'subchannel=0.0.0001\n'
    assert resolve(tmp_path, '0.0.0001') == '' and resolve(tmp_path) == ''  # in place now: nothing moves


def test_a_device_not_there_has_its_files_parked_until_it_comes_back(tmp_path):
    persisted(tmp_path, A, '0.0.0000', UA)
    subchannels(tmp_path, {'0.0.0000': B})  # A is gone, and B is on A's subchannel
    resolve(tmp_path, '0.0.0000')
    assert not os.path.exists(at(tmp_path, 'etc/driverctl.d/css-0.0.0000'))  # B must not get vfio_ccw
    assert not os.path.exists(at(tmp_path, 'etc/mdevctl.d/0.0.0000'))
    assert read(at(tmp_path, 'etc/vfio-passthrough/css.d', A)) == 'subchannel=none\n'
    subchannels(tmp_path, {'0.0.0002': A})
    resolve(tmp_path, '0.0.0002')
    assert read(at(tmp_path, 'etc/driverctl.d/css-0.0.0002')) == 'vfio_ccw\n'
    assert os.path.exists(at(tmp_path, 'etc/mdevctl.d/0.0.0002', UA))


def test_a_subchannel_whose_files_are_in_place_or_unrecorded_is_left_at_once(tmp_path):
    persisted(tmp_path, A, '0.0.0000', UA)
    subchannels(tmp_path, {'0.0.0000': A, '0.0.0005': '0.0.2b09'})
    before = files(tmp_path)
    assert resolve(tmp_path, '0.0.0000') == '' and resolve(tmp_path, '0.0.0005') == ''
    assert files(tmp_path) == before and not os.path.exists(at(tmp_path, 'etc/vfio-passthrough/css.d/.parked'))


def test_files_in_the_way_are_not_overwritten(tmp_path):
    persisted(tmp_path, A, '0.0.0000', UA)
    subchannels(tmp_path, {'0.0.0001': A})
    write(at(tmp_path, 'etc/driverctl.d/css-0.0.0001'), 'io_subchannel\n')  # someone's own override there
    script = at(tmp_path, 'resolve-css')
    write(script, devno.SCRIPT_TEXT)
    done = subprocess.run([SH, script, '0.0.0001'], env=dict(os.environ, VFIO_PASSTHROUGH_ROOT=str(tmp_path)),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert done.returncode == 1 and 'css-0.0.0001 exists' in done.stderr
    assert read(at(tmp_path, 'etc/driverctl.d/css-0.0.0001')) == 'io_subchannel\n'
    # the device's files stay parked together, and its record says so, until the way is clear
    assert os.path.exists(at(tmp_path, 'etc/vfio-passthrough/css.d/.parked/0.0.0313.mdevctl', UA))
    assert read(at(tmp_path, 'etc/vfio-passthrough/css.d', A)) == 'subchannel=none\n'
    os.unlink(at(tmp_path, 'etc/driverctl.d/css-0.0.0001'))
    resolve(tmp_path, '0.0.0001')
    assert read(at(tmp_path, 'etc/driverctl.d/css-0.0.0001')) == 'vfio_ccw\n'
    assert os.path.exists(at(tmp_path, 'etc/mdevctl.d/0.0.0001', UA))


def test_records_read_write_and_forget(tmp_path):
    records = devno.DevnoRecords(Host(str(tmp_path)))
    assert records.get(A) is None
    records.put(A, '0.0.0000')
    assert records.get(A) == '0.0.0000' and records.display(A) == '/etc/vfio-passthrough/css.d/0.0.0313'
    records.put(A, None)
    assert records.get(A) is None
    assert 'IMPORT{program}="/usr/libexec/vfio-passthrough/resolve-css $kernel"' in devno.UDEV_TEXT


def test_without_flock_a_lock_directory_serialises_the_runs(tmp_path):
    persisted(tmp_path, A, '0.0.0000', UA)
    persisted(tmp_path, B, '0.0.0001', UB)
    subchannels(tmp_path, {'0.0.0000': B, '0.0.0001': A})
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for tool in ('sh', 'sed', 'awk', 'grep', 'mkdir', 'mv', 'rm', 'rmdir', 'sleep', 'cat', 'head'):
        found = shutil.which(tool)
        if found:
            os.symlink(found, str(bin_dir / tool))
    script = at(tmp_path, 'resolve-css')
    write(script, devno.SCRIPT_TEXT)
    env = dict(os.environ, VFIO_PASSTHROUGH_ROOT=str(tmp_path), PATH=str(bin_dir))  # no flock on this PATH
    runs = [subprocess.Popen([SH, script, sch], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True) for sch in ('0.0.0000', '0.0.0001')]
    results = [(p.wait(), p.stderr.read()) for p in runs]
    assert [rc for rc, _err in results] == [0, 0], results
    assert os.path.exists(at(tmp_path, 'etc/mdevctl.d/0.0.0001', UA))
    assert os.path.exists(at(tmp_path, 'etc/mdevctl.d/0.0.0000', UB))
    assert not os.path.exists(at(tmp_path, 'run/lock/vfio-passthrough-css.d'))


def test_an_empty_or_garbled_record_is_never_taken_for_a_path(tmp_path):
    persisted(tmp_path, A, '0.0.0000', UA)
    write(at(tmp_path, 'etc/mdevctl.d/matrix', UB), '{}')
    subchannels(tmp_path, {'0.0.0001': A})
    for garbled in ('', 'subchannel=\n', 'subchannel=../mdevctl.d\n'):
        write(at(tmp_path, 'etc/vfio-passthrough/css.d', A), garbled)
        script = at(tmp_path, 'resolve-css')
        write(script, devno.SCRIPT_TEXT)
        done = subprocess.run([SH, script, '0.0.0001'], env=dict(os.environ, VFIO_PASSTHROUGH_ROOT=str(tmp_path)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
        assert done.returncode == 1 and 'names no subchannel' in done.stderr
        assert os.path.exists(at(tmp_path, 'etc/mdevctl.d/matrix', UB))  # every other parent's files stay
        assert os.path.exists(at(tmp_path, 'etc/mdevctl.d/0.0.0000', UA))


def test_a_device_whose_subchannel_has_not_registered_yet_keeps_its_files(tmp_path):
    persisted(tmp_path, A, '0.0.0012', UA)
    persisted(tmp_path, B, '0.0.0010', UB)
    subchannels(tmp_path, {'0.0.0011': B})  # B moved; A's subchannel 0.0.0012 is not registered yet
    resolve(tmp_path, '0.0.0011')
    assert read(at(tmp_path, 'etc/vfio-passthrough/css.d', A)) == 'subchannel=0.0.0012\n'
    assert os.path.exists(at(tmp_path, 'etc/driverctl.d/css-0.0.0012'))  # there for A's own event
    assert os.path.exists(at(tmp_path, 'etc/driverctl.d/css-0.0.0011'))


def test_a_stale_parked_copy_never_beats_the_live_files(tmp_path):
    persisted(tmp_path, A, '0.0.0010', UA)
    write(at(tmp_path, 'etc/vfio-passthrough/css.d/.parked/0.0.0313.driverctl'), 'stale\n')
    subchannels(tmp_path, {'0.0.0010': '0.0.c000', '0.0.0011': A})
    resolve(tmp_path, '0.0.0010')
    assert not os.path.exists(at(tmp_path, 'etc/driverctl.d/css-0.0.0010'))  # 0.0.c000 gets no vfio_ccw
    assert read(at(tmp_path, 'etc/driverctl.d/css-0.0.0011')) == 'vfio_ccw\n'
