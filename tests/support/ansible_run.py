"""How the tests run Ansible: the environment of a run, whole playbooks, and module calls with their
check-mode twin."""

import json
import os
import subprocess

import yaml

from support import stats
from support.inprocess import run_module
from support.paths import REPO, VENV_BIN
from support.sim import host_state


def ansible_env():
    """The environment of a playbook run: the repo's ansible.cfg and the current root."""
    env = dict(os.environ)
    env['ANSIBLE_CONFIG'] = os.path.join(REPO, 'ansible.cfg')
    env['ANSIBLE_FORCE_COLOR'] = '0'
    env['ANSIBLE_NOCOLOR'] = '1'
    env.setdefault('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')
    return env


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


def run_playbook(tasks, workdir, number, check=False, diff=False, extra_args=()):
    """Run tasks as one ansible-playbook run (files ``*-NUMBER`` in ``workdir``); return a PlaybookResult."""
    out = workdir / ('results-%d.json' % number)
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
    path = workdir / ('play-%d.yml' % number)
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), str(path)]
    cmd += ['--check'] * check + ['--diff'] * diff + list(extra_args)
    # no stdin: ansible-core 2.21's workers fail to detach from a closed one (as pytest-xdist leaves it)
    proc = subprocess.run(cmd, cwd=REPO, check=False, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, env=ansible_env())
    results = json.loads(out.read_text()) if out.exists() else []
    return PlaybookResult(proc, results)


def run_with_check_twin(name, args, run):
    """``run(name, args)`` (the real module call), preceded by its check-mode twin where it may change things.

    The twin runs in-process with the ``_ansible_check_mode`` flag Ansible passes: it must write
    nothing and predict the same ``changed`` and the same actions as the real run. Modules that
    only read have no twin.
    """
    root = os.environ.get('VFIO_PASSTHROUGH_ROOT')
    twin = None
    if root and not name.endswith(('_info', '_validate')):
        before = host_state(root)
        twin = run_module(name, dict(args, _ansible_check_mode=True))
        assert host_state(root) == before, 'check mode of %s %r changed the host' % (name, args)
        stats.CHECK_TWINS['calls'] += 1
    result = run(name, args)
    if twin is not None and not result.get('failed'):
        assert not twin.get('failed'), 'check mode failed where the run did not: %s' % twin.get('msg')
        assert twin['changed'] == result['changed'], 'check mode predicted changed=%s for %s %r: %r, the run %r' % (
            twin['changed'], name, args, actions(twin), actions(result))
        assert actions(twin) == actions(result), 'check mode predicted other actions for %s %r: %r, not %r' % (
            name, args, actions(twin), actions(result))
    return result


def actions(result):
    """What a module result says it did (or would do): its top-level and per-device actions."""
    devices = result.get('devices')
    per_device = [d.get('actions') for d in devices if isinstance(d, dict)] if isinstance(devices, list) else []
    return result.get('actions'), per_device
