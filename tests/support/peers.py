"""The real peer tools (driverctl, mdevctl) run against a simulated host."""

import os
import shutil
import subprocess

PEER_SCRIPT = (
    'set -e; mount --make-rprivate /; mount --bind "$1/sys" /sys; '
    'for d in driverctl.d mdevctl.d; do mkdir -p /etc/$d; mount --bind "$1/etc/$d" /etc/$d; done; '
    'mount -t tmpfs tmpfs /sbin; cp "$1/.simhost/sbin/"* /sbin/; shift; exec "$@"')

MODPROBE = ('#!/bin/sh\n# stand-in: succeeds for drivers the simulated host has, loads nothing\n'
            'for d in "$@"; do case $d in -*) ;; *) ls -d /sys/bus/*/drivers/"$d" >/dev/null 2>&1 || exit 1;; esac; done\n')


def run_peer(sim, *argv):
    """Run a real tool (driverctl, mdevctl) on the simulated host in a private mount namespace.

    The simulated /sys and ROOT/etc/{driverctl,mdevctl}.d are mounted over the real ones; a tmpfs
    over /sbin holds a modprobe stand-in (so nothing is loaded into the real kernel) and a copy
    of driverctl, which calls /sbin/modprobe. Returns (exit code, output).
    """
    tools = sim.path('.simhost/sbin')
    os.makedirs(tools, exist_ok=True)
    with open(os.path.join(tools, 'modprobe'), 'w') as f:
        f.write(MODPROBE)
    os.chmod(os.path.join(tools, 'modprobe'), 0o755)
    for name in ('driverctl',):
        found = shutil.which(name) or '/usr/sbin/' + name
        if os.path.exists(found):
            shutil.copy2(found, os.path.join(tools, name))
    for d in ('etc/driverctl.d', 'etc/mdevctl.d/scripts.d/callouts', 'etc/mdevctl.d/scripts.d/notifiers'):
        os.makedirs(sim.path(d), exist_ok=True)
    proc = subprocess.run(['unshare', '-m', 'sh', '-c', PEER_SCRIPT, 'sh', sim.root] + list(argv), check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    return proc.returncode, proc.stdout
