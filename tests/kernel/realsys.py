"""Listing timings on a real sysfs: run inside the x86 lab's guest (root /) after the scenarios.

The benchmarks time the modules on the simulated host and on a plain-file copy of it; this puts
them on the guest kernel's own /sys, beside the peers, as one alternating run per comparison:
the module's process (its kept AnsiballZ payload), the peer as an Ansible user runs it (the kept
payload of a shell/command task) and the bare peer. TCG slows every contender alike, so the
ratios are what to read; ``make bench`` puts them in RESULTS.md (``benchmarks/bench_listing.py``).

    realsys.py OUT.json

The host: MTTY_RUNNING mdevs started on mtty and as many more only defined (files in
/etc/mdevctl.d, a tmpfs in the guest), and the PCI devices of the guest with one override.
Everything it creates is removed at the end.
"""

import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(REPO, '.venv', 'bin')
MTTY = '/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-1'
MTTY_RUNNING = 12   # mtty has 24 ports; mtty-1 takes one each
SPARE = '0000:00:03.0'
REPEAT = 3
UUID = '%08x-0000-4000-8000-00000000%04x'


def kept_payload(module, args=None):
    """Run ``module`` once through ``ansible`` keeping its payload; return the payload's path."""
    say('keeping the payload of %s' % module)
    remote = tempfile.mkdtemp(prefix='remote-')
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=remote)
    argv = [os.path.join(BIN, 'ansible'), 'localhost', '-m', module] + (['-a', args] if args else [])
    proc = subprocess.run(argv, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    found = glob.glob(os.path.join(remote, '*', 'AnsiballZ_*.py'))
    if proc.returncode != 0 or len(found) != 1:
        raise SystemExit('%s %s: rc %d, payloads %s\n%s' % (module, args, proc.returncode, found, proc.stdout[-2000:]))
    return found[0]


def say(text):
    """A progress line (the lab's watchdog stops a guest whose output files stop growing)."""
    print(text, flush=True)


def timed(argvs, env=None):
    """``{label: [seconds]}``: each command run REPEAT times, alternating, after one warm-up each."""
    times = dict((label, []) for label in argvs)
    for rep in range(REPEAT + 1):
        say('  round %d of %d: %s' % (rep, REPEAT, ', '.join(argvs)))
        for label, argv in argvs.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                           env=dict(os.environ, **((env or {}).get(label) or {})))
            if rep:
                times[label].append(time.perf_counter() - start)
    return dict((label, {'median': statistics.median(t), 'spread': max(t) - min(t), 'runs': len(t)})
                for label, t in times.items())


def mdevs_up():
    """MTTY_RUNNING running mtty-1 devices and as many definitions; returns the running uuids."""
    running = [UUID % (0xbe0c0000, i) for i in range(MTTY_RUNNING)]
    for u in running:
        with open(os.path.join(MTTY, 'create'), 'w') as f:
            f.write(u)
    os.makedirs('/etc/mdevctl.d/mtty', exist_ok=True)
    for i in range(MTTY_RUNNING):
        with open('/etc/mdevctl.d/mtty/' + UUID % (0xde0f0000, i), 'w') as f:
            json.dump({'mdev_type': 'mtty-1', 'start': 'manual', 'attrs': []}, f, indent=2)
    return running


def mdevs_down(running):
    """Remove what mdevs_up made."""
    for u in running:
        with open('/sys/bus/mdev/devices/%s/remove' % u, 'w') as f:
            f.write('1')
    shutil.rmtree('/etc/mdevctl.d/mtty', ignore_errors=True)


def set_override(device, driver):
    """Set (or with '' clear) a PCI device's driver_override and have the bus probe it, as driverctl does."""
    base = '/sys/bus/pci/devices/%s/' % device
    if os.path.exists(base + 'driver'):
        with open(base + 'driver/unbind', 'w') as f:
            f.write(device)
    with open(base + 'driver_override', 'w') as f:
        f.write(driver + '\n' if driver else '\n')
    with open('/sys/bus/pci/drivers_probe', 'w') as f:
        f.write(device)


def main():
    """Time the listings; write the figures to the output file."""
    out = {'kernel': os.uname().release, 'mdevs': 2 * MTTY_RUNNING, 'repeat': REPEAT}
    empty = tempfile.mkdtemp(prefix='empty-')  # the floor: a host with a PCI bus and nothing on it
    for parts in (('sys', 'bus', 'pci', 'devices'), ('sys', 'bus', 'pci', 'drivers'), ('etc',)):
        os.makedirs(os.path.join(empty, *parts))
    python = os.path.join(BIN, 'python')
    running = mdevs_up()
    try:
        ours = kept_payload('vfio.passthrough.mdev_info')
        task = kept_payload('ansible.builtin.shell', 'mdevctl list && mdevctl list -d')
        out['mdev_info'] = timed({'ours': [python, ours], 'floor': [python, ours], 'task': [python, task],
                                  'bare': ['sh', '-c', 'mdevctl list && mdevctl list -d']},
                                 env={'floor': {'VFIO_PASSTHROUGH_ROOT': empty}})
    finally:
        mdevs_down(running)
    set_override(SPARE, 'vfio-pci')  # through sysfs: driverctl would run modprobe, which the guest has not
    try:
        ours = kept_payload('vfio.passthrough.driver_override_info', '{"bus": ["pci"], "overrides_only": true}')
        task = kept_payload('ansible.builtin.command', 'driverctl list-overrides')
        out['driver_override_info'] = timed({'ours': [python, ours], 'floor': [python, ours], 'task': [python, task],
                                             'bare': ['driverctl', 'list-overrides']},
                                            env={'floor': {'VFIO_PASSTHROUGH_ROOT': empty}})
    finally:
        set_override(SPARE, '')
    with open(sys.argv[1], 'w') as f:
        json.dump(out, f, indent=1)
    for name in ('mdev_info', 'driver_override_info'):
        m = dict((k, v['median']) for k, v in out[name].items())
        print('%s: ours %.3f s, task %.3f s, bare %.3f s, floor %.3f s: ours/task %.2f, (ours - floor)/bare %.2f'
              % (name, m['ours'], m['task'], m['bare'], m['floor'], m['ours'] / m['task'],
                 (m['ours'] - m['floor']) / m['bare']))


if __name__ == '__main__':
    main()
