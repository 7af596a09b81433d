"""Listing, side by side with the real tools on the same simulated host.

1. 1,000 mdevs (500 running, 500 defined): mdev_info's process vs ``mdevctl list`` + ``mdevctl list -d``
2. the types of 64 parents: mdev_info's process vs ``mdevctl types``
3. overrides of 500 PCI devices: driver_override_info's process vs ``driverctl list-overrides``

Target: each module process within 2x of the tool's wall time.

And the floors the figures stand on: a bare Python process, the mdev_info process on a host with no
mdevs (Python, the AnsiballZ wrapper and ansible.module_utils.basic), and the cost of one stat(2)
of a six-component path on the simulated /sys against the machine's real /sys.
"""

import os
import time

import harness

REAL_SYSFS = '/sys/devices/system/cpu/cpu0/topology/core_id'


def stat_cost(path, count=2000):
    """Median seconds of one os.stat of ``path``, over ``count`` calls in five rounds."""
    rounds = []
    for _round in range(5):
        start = time.perf_counter()
        for _i in range(count):
            os.stat(path)
        rounds.append((time.perf_counter() - start) / count)
    return harness.stats(rounds)


def floor(results, tmp, repeat):
    """What no module process can go below, on this machine and on the simulator."""
    host = harness.SimHost(os.path.join(tmp, 'empty'), parents=1, types=1, active=0, defined=0, pci=0,
                           overrides=0, adapters=1, domains=1)
    with host:
        info = harness.ansible(host, 'mdev_info', {}, tmp)
        t = harness.compare(host, {'python': [harness.PYTHON, '-c', 'pass'],
                                   'mdev_info': harness.module_cmd(info)}, repeat)
        results.figure('0a. floor: a bare Python process', 'python -c pass', harness.stats(t['python']))
        results.figure('0b. floor: mdev_info process, host with no mdevs', 'mdev_info process',
                       harness.stats(t['mdev_info']), note='Python, the AnsiballZ wrapper, '
                       'ansible.module_utils.basic and our imports: the start-up every module run pays')
        sim = stat_cost(os.path.join(host.root, 'sys/devices/virtual/mtty/mtty00/mdev_supported_types/mtty-1/name'))
    real = stat_cost(REAL_SYSFS) if os.path.exists(REAL_SYSFS) else None
    results.figure('0c. one stat(2) of a 6-component path on the simulated /sys', 'os.stat', sim,
                   note='the real /sys of this machine: %s per stat (%s); every path component is a FUSE '
                        'round trip into the Python simulator' % (
                            '%.1f us' % (real['median'] * 1e6) if real else 'n/a', REAL_SYSFS))


def listing(results, tmp, repeat):
    """Comparisons 1 and 2 (one host: 64 parents x 4 types, 500 running and 500 defined mdevs)."""
    host = harness.SimHost(os.path.join(tmp, 'list'), parents=64, types=4, active=500, defined=500, pci=0,
                           overrides=0, adapters=1, domains=1)
    with host:
        info = harness.ansible(host, 'mdev_info', {}, tmp)
        t = harness.compare(host, {'mdev_info': harness.module_cmd(info),
                                   'mdevctl': [['mdevctl', 'list'], ['mdevctl', 'list', '-d']]}, repeat)
        results.pair('1. list 1,000 mdevs (500 running + 500 defined, 64 parents)',
                     ('mdev_info process', harness.stats(t['mdev_info'])),
                     ('mdevctl list + mdevctl list -d', harness.stats(t['mdevctl'])), target=2)
    host = harness.SimHost(os.path.join(tmp, 'types'), parents=64, types=4, active=0, defined=0, pci=0,
                           overrides=0, adapters=1, domains=1)
    with host:
        info = harness.ansible(host, 'mdev_info', {}, tmp)
        t = harness.compare(host, {'mdev_info': harness.module_cmd(info), 'mdevctl': ['mdevctl', 'types']}, repeat)
        results.pair('2. types of 64 parents (4 types each)',
                     ('mdev_info process', harness.stats(t['mdev_info'])),
                     ('mdevctl types', harness.stats(t['mdevctl'])), target=2)


def overrides(results, tmp, repeat):
    """Comparison 3: 500 PCI devices, all overridden to vfio-pci."""
    host = harness.SimHost(os.path.join(tmp, 'pci'), parents=0, active=0, defined=0, pci=500, overrides=500,
                           adapters=1, domains=1)
    with host:
        info = harness.ansible(host, 'driver_override_info', {'bus': ['pci'], 'overrides_only': True}, tmp)
        t = harness.compare(host, {'module': harness.module_cmd(info),
                                   'driverctl': ['driverctl', 'list-overrides']}, repeat)
        results.pair('3. list overrides of 500 PCI devices',
                     ('driver_override_info process', harness.stats(t['module'])),
                     ('driverctl list-overrides', harness.stats(t['driverctl'])), target=2)


def run(results, tmp, repeat=7):
    """The floors and the three comparisons."""
    floor(results, tmp, repeat)
    listing(results, tmp, repeat)
    overrides(results, tmp, repeat)
