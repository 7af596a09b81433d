"""Whole-system validation of a full AP configuration: 256 adapters x 256 domains, 1,000 devices.

Two figures: the conflict search alone (find_conflicts) at 16,000, 32,000 and 64,000 claimed APQNs,
to show its cost is linear in APQNs; and the mdev_validate module's whole process on a host with
1,000 running vfio-ap devices claiming 64,000 APQNs (reading them from sysfs included), on a plain-file
copy of the simulated host (``plainhost.py``) and on the simulator, beside the module's floor.
Target: < 0.5 s for the full configuration.
"""

import os
import statistics
import sys
import time

import bench_listing
import harness

try:
    from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.conflicts import DeviceView, System, find_conflicts
except ImportError:  # run from a checkout without the venv link
    sys.exit('run make venv first: the collection must be importable as ansible_collections.vfio.passthrough')


def full_system(devices=1000, domains=256, per=64):
    """1,000 running devices, each with one adapter and ``per`` domains of it, no APQN shared.

    With per=64 they claim 64,000 of the 65,536 APQNs of a full 256 x 256 configuration.
    """
    views = []
    for i in range(devices):
        first = i * per
        adapter, start = divmod(first, domains)
        matrix = {'adapter': {adapter}, 'domain': set(range(start, start + per)), 'control_domain': set()}
        views.append(DeviceView('%08x-0000-4000-8000-%012x' % (i, i), 'matrix', 'vfio_ap-passthrough',
                                active=True, autostart=True, matrix=matrix))
    return System(views, host_adapters=set(), host_domains=set(), max_adapter=255, max_domain=255)


def measure(system, repeat=7):
    """``repeat`` timed runs after one warm-up."""
    find_conflicts(system)
    times = []
    for _run in range(repeat):
        start = time.perf_counter()
        conflicts = find_conflicts(system)
        times.append(time.perf_counter() - start)
    if conflicts:
        raise SystemExit('the benchmark system has conflicts: %s' % conflicts[:3])
    return times


def search(results):
    """The conflict search alone, at three sizes."""
    per_apqn = []
    for per in (16, 32, 64):
        system = full_system(per=per)
        apqns = sum(len(v.matrix['adapter']) * len(v.matrix['domain']) for v in system.devices.values())
        times = measure(system)
        per_apqn.append(statistics.median(times) / apqns * 1e6)
        results.figure('5a. conflict search, 1,000 running vfio-ap devices, %d APQNs' % apqns, 'find_conflicts',
                       harness.stats(times), target='< 0.5 s',
                       note='%.2f us per APQN' % per_apqn[-1])
    return per_apqn


def module(results, tmp, repeat=7):
    """mdev_validate's own process on the full configuration, on a plain-file copy and on the simulator."""
    sim = harness.SimHost(os.path.join(tmp, 'validate'), parents=0, active=0, defined=0, pci=0, overrides=0,
                          ap_active=1000, ap_per=64)
    args = {'fail_on_conflict': True}
    rows = {}
    with sim:
        payload = harness.ansible(sim, 'mdev_validate', args, tmp)
        with harness.PlainHost(sim) as plain:
            harness.same_output([plain, sim], harness.module_cmd(payload))
            for host in (plain, sim):
                t = bench_listing.contenders(results, tmp, host, payload, repeat)
                ip = bench_listing.inprocess(host, 'mdev_validate', args, repeat)
                rows[host.kind] = results.side(
                    '5b. mdev_validate process, 1,000 running vfio-ap devices (64,000 APQNs) in sysfs', host.kind,
                    ('mdev_validate process', t['ours']), floor=t['floor']['median'],
                    note='in-process main(): first run %.3f s, warm %.3f s; exit_json %.3f s' % (
                        ip['first'], harness.stats(ip['main'])['median'], harness.stats(ip['exit_json'])['median']))
                rows[host.kind]['inprocess'] = ip
    row = rows['plain files']
    results.target('mdev_validate, 1,000 running vfio-ap devices (64,000 APQNs): whole process < 0.5 s',
                   '%.3f s' % row['ours'][1]['median'], 0.5, row['ours'][1]['median'])


def run(results, tmp, repeat=7):
    """Both figures."""
    search(results)
    module(results, tmp, repeat)
