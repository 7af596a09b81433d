"""Shared fixtures: a simulated host per test, and ways to run the modules against it.

The modules are pointed at the simulated host only through VFIO_PASSTHROUGH_ROOT; nothing
in the library is patched. What the fixtures use, and the suites share, is in tests/support.
"""

import itertools
import os
import sys

import pytest

# tests/ on the path for `support`: pytest.ini does it, ansible-test units (its own pytest config) does not
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
pytest.register_assert_rewrite('support')

from support import stats  # noqa: E402  (after the assertion rewrite is registered)
from support.ansible_run import run_playbook, run_with_check_twin  # noqa: E402
from support.sim import Sim  # noqa: E402


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


@pytest.fixture
def playbook(tmp_path):
    """Run tasks as a real ansible-playbook run; return each task's registered result."""
    numbers = itertools.count(1)

    def run(tasks, check=False, diff=False, extra_args=()):
        return run_playbook(tasks, tmp_path, next(numbers), check=check, diff=diff, extra_args=extra_args)
    return run


@pytest.fixture
def module(localhost, monkeypatch):
    """Run one module through pytest-ansible; return its result dict.

    Every call of a module that changes things is preceded by its check-mode twin (in-process, with
    the ``_ansible_check_mode`` flag Ansible passes): the twin must write nothing and predict the
    same ``changed`` as the real run. So the whole functional suite also runs in check mode.
    """
    monkeypatch.setenv('ANSIBLE_PYTHON_INTERPRETER', sys.executable)

    def real(name, args):
        return getattr(localhost, 'vfio.passthrough.' + name)(**args)['localhost']

    def run(name, **args):
        return run_with_check_twin(name, args, real)
    return run


def pytest_sessionfinish(session):
    """With RELIABILITY_STATS set, write the reliability figures of this run there (JSON)."""
    path = os.environ.get('RELIABILITY_STATS')
    if path:
        stats.write(path, session.testscollected, session.testsfailed)
