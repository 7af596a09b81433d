"""Crash safety: the module is killed at every write step of define, modify, undefine, override
persistence and mask persistence. After each kill every configuration file is the old or the new
valid file (never torn or empty), and a re-run converges."""

import json
import os
import subprocess
import sys

import pytest

from support import stats
from support.inprocess import run_module

HERE = os.path.dirname(os.path.abspath(__file__))

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
MATRIX = {'uuid': UUID, 'parent': 'matrix', 'type': 'vfio_ap-passthrough'}
A = [{'assign_adapter': '5'}, {'assign_domain': '4'}]
B = [{'assign_adapter': '5'}, {'assign_domain': '0xab'}, {'assign_domain': '0x42'}]
STATS = stats.CRASH  # {'kills': 0, 'scenarios': 0, 'steps': {}}, in the reliability figures

SCENARIOS = {
    'define': ([], ('mdev', dict(MATRIX, state='defined', attrs=A))),
    'modify': ([('mdev', dict(MATRIX, state='defined', attrs=A))], ('mdev', dict(MATRIX, state='defined', attrs=B))),
    'start': ([('mdev', dict(MATRIX, state='defined', attrs=A))], ('mdev', dict(MATRIX, state='started', live=True))),
    'undefine': ([('mdev', dict(MATRIX, state='started', attrs=A))], ('mdev', dict(MATRIX, state='absent'))),
    'override persistence': ([], ('driver_override', {'bus': 'css', 'device': '0.0.0313', 'driver': 'vfio_ccw'})),
    'mask persistence': ([], ('ap_masks', {'adapters': [6], 'domains': ['0x10']})),
}
CONFIG = ('etc/mdevctl.d', 'etc/driverctl.d', 'etc/udev', 'etc/systemd', 'usr/libexec')


def config_files(sim):
    """Every configuration file below the root, with its content."""
    out = {}
    for top in CONFIG:
        for dirpath, _dirs, files in os.walk(sim.path(top)):
            for name in files:
                path = os.path.join(dirpath, name)
                with open(path) as f:
                    out[os.path.relpath(path, sim.root)] = f.read()
    return out


def valid(rel, text):
    """A whole file of its kind (temporary files of an interrupted write are dot files: ignored)."""
    name = os.path.basename(rel)
    if name.startswith('.'):
        return True
    if rel.startswith('etc/mdevctl.d/'):
        data = json.loads(text)
        return isinstance(data.get('mdev_type'), str) and isinstance(data.get('attrs'), list)
    if rel.startswith('etc/driverctl.d/'):
        return text.endswith('\n') and len(text.strip().split()) == 1
    if rel.endswith('41-ap.rules'):
        return 'apmask}=' in text and 'aqmask}=' in text and text.endswith('LABEL="end_ap"\n')
    return bool(text)


def killed_run(sim, n, name, args):
    env = dict(os.environ, VFIO_PASSTHROUGH_ROOT=sim.root)
    proc = subprocess.run([sys.executable, os.path.join(HERE, 'killer.py'), str(n), name, json.dumps(args)],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          check=False)
    return proc


@pytest.mark.parametrize('scenario', sorted(SCENARIOS))
def test_kill_at_every_write_step(sim_factory, scenario):
    setup, (name, args) = SCENARIOS[scenario]
    n = 1
    while True:
        sim = sim_factory('seed', name='root-%d' % n)
        for sname, sargs in setup:
            assert not run_module(sname, sargs).get('failed')
        before = config_files(sim)
        proc = killed_run(sim, n, name, args)
        if proc.returncode == 0 and proc.stdout.startswith('COMPLETED'):
            STATS['steps'][scenario] = n - 1
            break
        assert proc.returncode == -9, proc.stdout
        STATS['kills'] += 1
        after = config_files(sim)
        for rel, text in after.items():
            assert text == before.get(rel) or valid(rel, text), (scenario, n, rel, text)
        first = run_module(name, args)
        assert not first.get('failed'), (scenario, n, first.get('msg'))
        again = run_module(name, args)
        assert not again.get('failed') and not again['changed'], (scenario, n, again)
        if scenario == 'start':  # the running device is what its definition says, whatever was interrupted
            assert sim.read('sys/bus/mdev/devices', UUID, 'matrix') == '05.0004', (n, first)
        sim.stop()
        n += 1
        assert n < 60, 'more write steps than expected'
    STATS['scenarios'] += 1
    assert n > 1, 'the scenario made no write'
