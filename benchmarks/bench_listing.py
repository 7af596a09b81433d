"""Listing, side by side with the real tools on the same simulated host.

1. 1,000 mdevs (500 running, 500 defined): mdev_info's process vs ``mdevctl list`` + ``mdevctl list -d``
2. the types of 64 parents: mdev_info's process vs ``mdevctl types``
3. overrides of 500 PCI devices: driver_override_info's process vs ``driverctl list-overrides``

Target: each module process within 2x of the tool's wall time.
"""

import os

import harness


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
    """All three comparisons."""
    listing(results, tmp, repeat)
    overrides(results, tmp, repeat)
