"""A simulated host started from a scenario, and the state snapshots assertions compare."""

import json
import os
import subprocess
import sys

from support.paths import SIMHOST


class Sim(object):
    """A running simulated host: its root, write log and /etc snapshot."""

    def __init__(self, root, scenario, params=None):
        self.root = str(root)
        self.scenario = scenario
        self.params = params or {}

    def simhost(self, *args):
        """Run the simhost command line."""
        return subprocess.run([sys.executable, SIMHOST] + list(args), check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout

    def start(self):
        """Mount the scenario."""
        sets = [x for k, v in sorted(self.params.items()) for x in ('--set', '%s=%s' % (k, v))]
        self.simhost('start', self.root, '--scenario', self.scenario, *sets)
        return self

    def stop(self):
        """Unmount."""
        self.simhost('stop', self.root)

    def reboot(self, renumber=False, boot=False):
        """A fresh kernel state from the scenario (``simhost reboot``); /etc and /usr stay, /run is emptied.

        With ``boot`` the host then boots as a real one does (udev coldplug through the rules below the
        root, the enabled units: tests/simhost/boot.py) and the BootLog is returned; without it the
        kernel is left as it came up, nothing below the root having run. ``renumber`` gives the I/O
        subchannels their ids in reverse order, so device numbers move to other subchannels.
        """
        self.simhost('reboot', self.root, *(['--renumber'] * renumber + ([] if boot else ['--no-boot'])))
        return BootLog.read(self.path('run/simhost-boot.log')) if boot else None

    def events(self):
        """Every uevent the simulated kernel sent since it (re)started, as dicts (``simhost events``)."""
        with open(os.path.join(self.root, '.simhost', 'uevents.jsonl')) as f:
            return [json.loads(line) for line in f if line.strip()]

    def writes(self):
        """Every write the simulated kernel saw, as dicts (the file `simhost log` prints)."""
        with open(os.path.join(self.root, '.simhost', 'writes.jsonl')) as f:
            return [json.loads(line) for line in f if line.strip()]

    def clear_log(self):
        """Forget the writes so far."""
        open(os.path.join(self.root, '.simhost', 'writes.jsonl'), 'w').close()

    def path(self, *parts):
        """A path below the root, given host-absolute parts such as 'sys/bus/pci'."""
        return os.path.join(self.root, *[p.lstrip('/') for p in parts])

    def read(self, *parts):
        """Read a file below the root, stripped; None if missing."""
        try:
            with open(self.path(*parts)) as f:
                return f.read().strip()
        except OSError:
            return None

    def write(self, value, *parts):
        """Write like echo VALUE > PATH (used to set up states a test needs)."""
        with open(self.path(*parts), 'w') as f:
            f.write(value + '\n')

    def driver(self, bus, device):
        """The driver a device is bound to, or None."""
        try:
            return os.path.basename(os.readlink(self.path('sys/bus', bus, 'devices', device, 'driver')))
        except OSError:
            return None

    def snapshot(self, top='etc'):
        """Every file and link below ``top`` with its content, for no-change assertions."""
        return dict((os.path.relpath(p, self.root), v) for p, v in tree_state(self.path(top)).items())


class BootLog(object):
    """The records of a simulated boot (ROOT/run/simhost-boot.log), with the views tests ask for."""

    def __init__(self, records):
        self.records = records

    @classmethod
    def read(cls, path):
        """Parse the log file."""
        with open(path) as f:
            return cls([json.loads(line) for line in f if line.strip()])

    def of(self, kind):
        """The records of one kind (``event``, ``program``, ``unit``, ``warning``, ``attr``, ...)."""
        return [r for r in self.records if r['kind'] == kind]

    @property
    def warnings(self):
        """The warnings' texts (rule lines skipped, conditions not modelled, ...)."""
        return [r['text'] for r in self.of('warning')]

    @property
    def failures(self):
        """The programs that exited non-zero, timed out or could not start."""
        return [r for r in self.of('program') if r.get('rc') != 0]

    def units(self, result='started'):
        """The units with that result, in the order they ran."""
        return [r['unit'] for r in self.of('unit') if r['result'] == result]

    def __str__(self):
        return '\n'.join(json.dumps(r, sort_keys=True) for r in self.records)


def host_state(root):
    """The write log length and every file below etc, usr and run of a root: what check mode must not touch."""
    state = {}
    log = os.path.join(root, '.simhost', 'writes.jsonl')
    state['writes'] = sum(1 for _line in open(log)) if os.path.exists(log) else 0
    for top in ('etc', 'usr', 'run'):
        state.update(tree_state(os.path.join(root, top)))
    return state


def tree_state(base):
    """Every directory, link (its target) and file (its bytes) below ``base``, by path."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                state[p] = '-> ' + os.readlink(p)
            elif os.path.isfile(p):
                with open(p, 'rb') as f:
                    state[p] = f.read()
            else:
                state[p] = 'dir'
    return state
