"""What the benchmarks share: simulated hosts, the real tools' namespace, module processes and timing.

Every comparison is measured pair by pair in one process that lives in a private mount namespace
where the simulated /sys and ROOT/etc/{mdevctl,driverctl}.d are mounted over the real ones
(``measure.py``): the real tool and the module's own process run alternately, after a warm-up of
each, so both see the same host, the same caches and the same load.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON = sys.executable
BIN = os.path.dirname(PYTHON)
SIMHOST = os.path.join(REPO, 'tests', 'simhost', 'simhost.py')
MEASURE = os.path.join(HERE, 'measure.py')

# Mounted inside ``unshare -m``: what support.peers.run_peer does for the interchangeability tests.
NAMESPACE = (
    'set -e; mount --make-rprivate /; mount --bind "$1/sys" /sys; '
    'for d in driverctl.d mdevctl.d; do mkdir -p "$1/etc/$d" /etc/$d; mount --bind "$1/etc/$d" /etc/$d; done; '
    'shift; exec "$@"')


class SimHost(object):
    kind = 'simulator'

    """A simulated host under ``root`` running ``scenario`` (``params`` for the scale scenario)."""

    def __init__(self, root, scenario='scale', **params):
        self.root = root
        self.scenario = scenario
        self.params = params

    def start(self):
        """Mount it, with mdevctl's callout directories (mdevctl refuses to run without them)."""
        if os.path.exists(self.root):
            shutil.rmtree(self.root)
        sets = [x for k, v in sorted(self.params.items()) for x in ('--set', '%s=%s' % (k, v))]
        subprocess.run([PYTHON, SIMHOST, 'start', self.root, '--scenario', self.scenario] + sets, check=True,
                       stdout=subprocess.DEVNULL)
        for d in ('scripts.d/callouts', 'scripts.d/notifiers'):
            os.makedirs(os.path.join(self.root, 'etc/mdevctl.d', d), exist_ok=True)
        os.makedirs(os.path.join(self.root, 'etc/driverctl.d'), exist_ok=True)
        return self

    def stop(self):
        """Unmount and remove the root."""
        subprocess.run([PYTHON, SIMHOST, 'stop', self.root], check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)

    def restart(self):
        """A fresh host: kernel state and /etc as the scenario makes them."""
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def writes(self):
        """How many writes the simulated kernel has seen."""
        with open(os.path.join(self.root, '.simhost', 'writes.jsonl')) as f:
            return sum(1 for _line in f)

    def env(self):
        """The environment that points the modules at this host."""
        return ansible_env(VFIO_PASSTHROUGH_ROOT=self.root)


class PlainHost(object):
    """A plain-file copy of a running SimHost (``plainhost.py``): ordinary files and relative symlinks.

    Read-only benchmarks run on both: on the simulator every path component is a FUSE round trip
    (0c), so it weighs lookups some 170 times more than a real sysfs does.
    """

    kind = 'plain files'

    def __init__(self, sim, root=None):
        self.sim = sim
        self.root = root or sim.root + '-plain'

    def start(self):
        """Write the copy."""
        import plainhost
        plainhost.copy(self.sim, self.root)
        return self

    def stop(self):
        """Remove the copy."""
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self):
        """The environment that points the modules at this copy."""
        return ansible_env(VFIO_PASSTHROUGH_ROOT=self.root)


def same_output(hosts, argv):
    """Run ``argv`` on each host (in its namespace); fail unless all print the same (their roots aside)."""
    outputs = []
    for host in hosts:
        proc = in_namespace(host, argv)
        if proc.returncode != 0:
            raise SystemExit('%s failed on %s:\n%s' % (' '.join(argv[-3:]), host.root, proc.stderr[-2000:]))
        outputs.append(proc.stdout.replace(host.root, 'ROOT'))
    if len(set(outputs)) != 1:
        raise SystemExit('%s prints different output on %s' % (' '.join(argv[-3:]), ', '.join(h.root for h in hosts)))
    return outputs[0]


class EmptyHosts(object):
    """Hosts with nothing to list, simulated and its plain-file copy, kept for the whole run: each read-only
    comparison times the module on them too (its floor, in the same alternating run)."""

    def __init__(self, tmp):
        self.sim = SimHost(os.path.join(tmp, 'empty'), parents=1, types=1, active=0, defined=0, pci=0, overrides=0,
                           adapters=1, domains=1)
        self.plain = None

    def start(self):
        """Mount the simulated one and write its copy."""
        self.sim.start()
        self.plain = PlainHost(self.sim).start()
        return self

    def stop(self):
        """Remove both."""
        if self.plain:
            self.plain.stop()
        self.sim.stop()

    def of(self, kind):
        """The empty host of ``kind`` ('plain files' or 'simulator')."""
        return self.plain if kind == PlainHost.kind else self.sim


def empty_hosts(results, tmp):
    """The run's EmptyHosts, started on first use (``run.py`` stops them at the end)."""
    if results.empty is None:
        results.empty = EmptyHosts(tmp).start()
    return results.empty


def ansible_env(**extra):
    """The environment of an Ansible run from this checkout, with the venv's Python on the targets."""
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_PYTHON_INTERPRETER=PYTHON,
                **extra)


def changed_count(output):
    """The sum of the changed= counts of a playbook run's recap."""
    counts = [int(line.split('changed=')[1].split()[0]) for line in output.splitlines() if ' changed=' in line]
    if not counts:
        raise SystemExit('no recap in the output:\n' + output[-3000:])
    return sum(counts)


def in_namespace(host, argv):
    """Run ``argv`` in a private mount namespace that sees ``host`` as the real /sys and /etc/*ctl.d."""
    return subprocess.run(['unshare', '-m', 'sh', '-c', NAMESPACE, 'sh', host.root] + list(argv),
                          env=host.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)


def ansible(host, module, args, tmp):
    """Run ``module`` once through ``ansible`` and keep its AnsiballZ payload; return the payload's path.

    The payload is what Ansible executes on a managed host, module arguments included, so running it
    again is exactly the module's own process, without the controller's start-up.
    """
    remote = tempfile.mkdtemp(prefix='remote-', dir=tmp)
    env = dict(host.env(), ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=remote)
    argv = [os.path.join(BIN, 'ansible'), 'localhost', '-m', 'vfio.passthrough.' + module]
    run_output(argv + (['-a', json.dumps(args)] if args else []), env)
    return kept_payload(remote, module)


def peer_task(host, command, tmp, shell=False):
    """Run ``command`` as an ``ansible.builtin.command`` (``shell``) task in the host's namespace, keeping its
    AnsiballZ payload; return the payload's path: the peer's process as an Ansible user runs it.

    The payload is checked: run again on the host it exits 0 with rc 0 and the peer's output.
    """
    remote = tempfile.mkdtemp(prefix='remote-', dir=tmp)
    argv = ['env', 'ANSIBLE_KEEP_REMOTE_FILES=1', 'ANSIBLE_REMOTE_TMP=' + remote, os.path.join(BIN, 'ansible'),
            'localhost', '-m', 'ansible.builtin.' + ('shell' if shell else 'command'), '-a', command]
    proc = in_namespace(host, argv)
    if proc.returncode != 0:
        raise SystemExit('the task %r failed:\n%s%s' % (command, proc.stdout[-2000:], proc.stderr[-2000:]))
    payload = kept_payload(remote, 'command')
    result = json.loads(in_namespace(host, [PYTHON, payload]).stdout)
    if result.get('rc') != 0 or not result.get('stdout'):
        raise SystemExit('the kept payload of %r did not run it: %s' % (command, str(result)[:2000]))
    return payload


def kept_payload(remote, module):
    """The one AnsiballZ payload of ``module`` kept below ``remote``."""
    found = [os.path.join(d, n) for d, _dirs, files in os.walk(remote) for n in files
             if n == 'AnsiballZ_%s.py' % module]
    if len(found) != 1:
        raise SystemExit('expected one kept AnsiballZ payload of %s, found %d' % (module, len(found)))
    return found[0]


def ansible_playbook_payload(argv, env, tmp, module):
    """Run a playbook once keeping its module payloads; return the payload of its one ``module`` task.

    Also proves the task ran the module once, whatever the number of devices it was given.
    """
    remote = tempfile.mkdtemp(prefix='remote-', dir=tmp)
    run_output(argv, dict(env, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=remote))
    return kept_payload(remote, module)


def run_output(argv, env):
    """Run a command and return its output; a failure ends the benchmark with that output."""
    proc = subprocess.run(argv, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    if proc.returncode != 0:
        raise SystemExit('%s failed:\n%s' % (' '.join(argv[:3]), proc.stdout[-3000:]))
    return proc.stdout


def payload_zip(payload, dest):
    """Write the module zip an AnsiballZ payload carries (what it imports everything from) to ``dest``."""
    import base64
    import re
    with open(payload) as f:
        found = re.search(r"^zip_data='([A-Za-z0-9+/=]+)'", f.read(), re.M)
    if not found:
        raise SystemExit('no zip_data in %s' % payload)
    with open(dest, 'wb') as f:
        f.write(base64.b64decode(found.group(1)))
    return dest


def explode(payload):
    """Explode a kept payload into plain source files beside it (AnsiballZ's own debug command), so that
    ``PYTHON payload execute`` runs the same module from files whose bytecode Python caches."""
    run_output([PYTHON, payload, 'explode'], None)
    return [PYTHON, payload, 'execute']


def module_cmd(payload):
    """The command line of a module's own process."""
    return [PYTHON, payload]


def compare(host, commands, repeat=7, warmup=1, envs=None):
    """Time each of ``commands`` ({label: argv}) ``repeat`` times, alternating, in the host's namespace.

    ``envs`` ({label: {name: value}}) adds variables to a label's commands. Returns {label: [seconds, ...]}.
    """
    spec = json.dumps({'commands': commands, 'repeat': repeat, 'warmup': warmup, 'envs': envs or {}})
    proc = in_namespace(host, [PYTHON, MEASURE, spec])
    if proc.returncode != 0:
        output = proc.stdout[-2000:] + proc.stderr[-2000:]
        raise SystemExit('measuring %s failed:\n%s' % (', '.join(commands), output))
    return json.loads(proc.stdout)


def stats(times):
    """Median, spread (max - min) and the number of runs."""
    return {'median': statistics.median(times), 'spread': max(times) - min(times), 'runs': len(times)}


def wall(argv, env=None):
    """Wall time of one successful run of ``argv`` (output discarded)."""
    start = time.perf_counter()
    run_output(argv, env)
    return time.perf_counter() - start


def fmt(s):
    """``median s (spread s, n runs)``; microseconds for figures below a millisecond."""
    if s['median'] < 1e-3:
        return '%.1f us (spread %.1f, %d runs)' % (s['median'] * 1e6, s['spread'] * 1e6, s['runs'])
    return '%.3f s (spread %.3f, %d runs)' % (s['median'], s['spread'], s['runs'])


def load():
    """The 1-minute load average now (other suites may run on the machine)."""
    return os.getloadavg()[0]


class Results(object):
    """The figures of one ``make bench`` run, printed as they come and kept for RESULTS.md."""

    def __init__(self):
        self.rows = []
        self.sides = []
        self.floors = []
        self.targets = []
        self.failures = []  # (benchmark group, message)
        self.empty = None  # EmptyHosts, while the run needs them

    def pair(self, name, ours, theirs, target=None, note=''):
        """A comparison: our and their stats; the ratio is ours / theirs from the same run."""
        ratio = ours[1]['median'] / theirs[1]['median']
        row = {'name': name, 'ours': ours, 'theirs': theirs, 'ratio': ratio, 'target': target, 'note': note,
               'load': load()}
        self.rows.append(row)
        print('%s\n  ours:   %-34s %s\n  theirs: %-34s %s\n  ratio %.2f%s%s' % (
            name, ours[0], fmt(ours[1]), theirs[0], fmt(theirs[1]), ratio,
            ' (target <= %s)' % target if target else '', ('\n  ' + note) if note else ''))
        sys.stdout.flush()
        return row

    def figure(self, name, label, s, target=None, note=''):
        """A single measurement with no peer."""
        row = {'name': name, 'ours': (label, s), 'theirs': None, 'ratio': None, 'target': target, 'note': note,
               'load': load()}
        self.rows.append(row)
        print('%s\n  %-42s %s%s%s' % (name, label, fmt(s), ' (target %s)' % target if target else '',
                                      ('\n  ' + note) if note else ''))
        sys.stdout.flush()
        return row

    def side(self, name, host, ours, task=None, bare=None, floor=None, note=''):
        """A read-only comparison on one host (plain files or simulator): our module's process, the peer
        as an Ansible task (its command/shell module process) and the bare peer, from one alternating run.

        ``ours``, ``task``, ``bare`` are (label, stats); ``floor`` the median of the same module's process
        on an empty host of the same kind.
        """
        row = {'name': name, 'host': host, 'ours': ours, 'task': task, 'bare': bare, 'floor': floor, 'note': note,
               'load': load()}
        o = ours[1]['median']
        row['vs_task'] = o / task[1]['median'] if task else None
        row['vs_bare'] = o / bare[1]['median'] if bare else None
        row['above'] = o - floor if floor is not None else None
        row['above_vs_bare'] = row['above'] / bare[1]['median'] if bare and floor is not None else None
        self.sides.append(row)
        lines = ['%s [%s] (load %.2f)' % (name, host, row['load']), '  ours:   %-40s %s' % (ours[0], fmt(ours[1]))]
        if task:
            lines.append('  task:   %-40s %s   ours/task %.2f' % (task[0], fmt(task[1]), row['vs_task']))
        if bare:
            lines.append('  bare:   %-40s %s   ours/bare %.2f' % (bare[0], fmt(bare[1]), row['vs_bare']))
        if floor is not None:
            lines.append('  above the floor (%.3f s): %.3f s%s' % (floor, row['above'], '; that / bare %.2f' % (
                row['above_vs_bare']) if bare else ''))
        print('\n'.join(lines))
        sys.stdout.flush()
        return row

    def floor(self, name, host, label, s, note=''):
        """One part of the module floor."""
        row = {'name': name, 'host': host, 'label': label, 's': s, 'note': note, 'load': load()}
        self.floors.append(row)
        print('%s [%s] (load %.2f)\n  %-42s %s%s' % (name, host, row['load'], label, fmt(s),
                                                     ('\n  ' + note) if note else ''))
        sys.stdout.flush()
        return row

    def target(self, what, figure, limit, value):
        """A target of the issue: ``value`` against ``limit`` (met when value <= limit)."""
        row = {'what': what, 'figure': figure, 'limit': limit, 'value': value, 'met': value <= limit}
        self.targets.append(row)
        print('TARGET %s: %s -> %s' % (what, figure, 'met' if row['met'] else 'NOT MET'))
        sys.stdout.flush()
        return row
