"""Shared fixtures: a simulated host per test, and ways to run the modules against it.

The modules are pointed at the simulated host only through VFIO_PASSTHROUGH_ROOT; nothing
in the library is patched.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SIMHOST = os.path.join(HERE, 'simhost', 'simhost.py')
VENV_BIN = os.path.dirname(sys.executable)

sys.path.insert(0, os.path.join(HERE, 'simhost'))
sys.path.insert(0, os.path.join(HERE, 'reliability'))


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

    def reboot(self):
        """A fresh kernel state from the scenario; /etc and /usr stay as they are."""
        self.stop()
        self.start()

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


@pytest.fixture
def sim_factory(tmp_path, monkeypatch):
    """Start a scenario under a fresh root and point the modules at it."""
    started = []

    def start(scenario='seed', name='root', **params):
        sim = Sim(tmp_path / name, scenario, params).start()
        started.append(sim)
        monkeypatch.setenv('VFIO_PASSTHROUGH_ROOT', sim.root)
        return sim
    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def seed(sim_factory):
    """The seed document's IBM Z host."""
    return sim_factory('seed')


@pytest.fixture
def x86(sim_factory):
    """The x86 host: PCI devices and the mtty mdev parent."""
    return sim_factory('x86')


class PlaybookResult(object):
    """What one ansible-playbook run did: exit code, output and each task's registered result."""

    def __init__(self, proc, results):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.results = results

    def __getitem__(self, index):
        return self.results[index]

    @property
    def text(self):
        """The output with white space folded (the YAML callback wraps long lines)."""
        return ' '.join(self.stdout.split())

    @property
    def changed(self):
        """The recap's changed count for localhost."""
        for line in self.stdout.splitlines():
            if line.startswith('localhost') and 'changed=' in line:
                return int(line.split('changed=')[1].split()[0])
        raise AssertionError('no recap in output:\n' + self.stdout)


@pytest.fixture
def playbook(tmp_path):
    """Run tasks as a real ansible-playbook run; return each task's registered result."""
    counter = [0]

    def run(tasks, check=False, diff=False, extra_args=()):
        counter[0] += 1
        out = tmp_path / ('results-%d.json' % counter[0])
        named = []
        for i, task in enumerate(tasks):
            task = dict(task)
            task['register'] = 'r%d' % i
            task.setdefault('ignore_errors', True)
            named.append(task)
        collect = '{{ [%s] | to_json }}' % ', '.join('r%d' % i for i in range(len(tasks)))
        named.append({'name': 'collect results', 'check_mode': False, 'diff': False, 'changed_when': False,
                      'ansible.builtin.copy': {'dest': str(out), 'content': collect}})
        play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': named}]
        path = tmp_path / ('play-%d.yml' % counter[0])
        path.write_text(yaml.safe_dump(play, sort_keys=False))
        cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), str(path)]
        cmd += ['--check'] * check + ['--diff'] * diff + list(extra_args)
        proc = subprocess.run(cmd, cwd=REPO, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, env=ansible_env())
        results = json.loads(out.read_text()) if out.exists() else []
        return PlaybookResult(proc, results)
    return run


def ansible_env():
    """The environment of a playbook run: the repo's ansible.cfg and the current root."""
    env = dict(os.environ)
    env['ANSIBLE_CONFIG'] = os.path.join(REPO, 'ansible.cfg')
    env['ANSIBLE_FORCE_COLOR'] = '0'
    env['ANSIBLE_NOCOLOR'] = '1'
    env.setdefault('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')
    return env


CHECK_TWIN = {'calls': 0}


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


@pytest.fixture
def module(localhost, monkeypatch):
    """Run one module through pytest-ansible; return its result dict.

    Every call of a module that changes things is preceded by its check-mode twin (in-process, with
    the ``_ansible_check_mode`` flag Ansible passes): the twin must write nothing and predict the
    same ``changed`` as the real run. So the whole functional suite also runs in check mode.
    """
    monkeypatch.setenv('ANSIBLE_PYTHON_INTERPRETER', sys.executable)
    from inprocess import run_module

    def run(name, **args):
        root = os.environ.get('VFIO_PASSTHROUGH_ROOT')
        twin = None
        if root and not name.endswith(('_info', '_validate')):
            before = host_state(root)
            twin = run_module(name, dict(args, _ansible_check_mode=True))
            assert host_state(root) == before, 'check mode of %s %r changed the host' % (name, args)
            CHECK_TWIN['calls'] += 1
        result = getattr(localhost, 'vfio.passthrough.' + name)(**args)['localhost']
        if twin is not None and not result.get('failed'):
            assert not twin.get('failed'), 'check mode failed where the run did not: %s' % twin.get('msg')
            assert twin['changed'] == result['changed'], 'check mode predicted changed=%s for %s %r' % (
                twin['changed'], name, args)
        return result
    return run


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


def pytest_sessionfinish(session):
    """With RELIABILITY_STATS set, write the reliability figures of this run there (JSON)."""
    path = os.environ.get('RELIABILITY_STATS')
    if not path:
        return
    mods = dict((name.rsplit('.', 1)[-1], mod) for name, mod in sys.modules.items())
    bad, crash = mods.get('test_bad_input'), mods.get('test_crash')
    stats = {
        'check_mode_twins': CHECK_TWIN['calls'],
        'bad_input_cases': bad.TRIED['cases'] if bad else 0,
        'kills': crash.STATS['kills'] if crash else 0,
        'kill_scenarios': crash.STATS['steps'] if crash else {},
        'tests': session.testscollected, 'failed': session.testsfailed,
    }
    with open(path, 'w') as f:
        json.dump(stats, f, indent=1)
