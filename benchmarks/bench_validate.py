"""Whole-system validation of a full AP configuration: 256 adapters x 256 domains, 1,000 devices.

Prints the median and spread of repeated runs after a warm-up, at full size and at a quarter and
half of the APQNs, to show the cost is linear in the number of APQNs. Target: well under 0.5 s.
Run: make bench (or .venv/bin/python benchmarks/bench_validate.py).
"""

import statistics
import sys
import time

try:
    from ansible_collections.vfio.passthrough.plugins.module_utils._validate import DeviceView, System, find_conflicts
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
    """Median and spread (max - min) of ``repeat`` timed runs after one warm-up."""
    find_conflicts(system)
    times = []
    for _run in range(repeat):
        start = time.perf_counter()
        conflicts = find_conflicts(system)
        times.append(time.perf_counter() - start)
    if conflicts:
        raise SystemExit('the benchmark system has conflicts: %s' % conflicts[:3])
    return statistics.median(times), max(times) - min(times)


def main():
    """Print one line per size."""
    print('whole-system validation, 1,000 running vfio-ap devices (python %s)' % sys.version.split()[0])
    for per in (16, 32, 64):
        system = full_system(per=per)
        apqns = sum(len(v.matrix['adapter']) * len(v.matrix['domain']) for v in system.devices.values())
        median, spread = measure(system)
        per_apqn = median / apqns * 1e6
        print('  %6d APQNs: median %.4f s, spread %.4f s, %.2f us per APQN' % (apqns, median, spread, per_apqn))


if __name__ == '__main__':
    main()
