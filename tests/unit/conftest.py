"""Unit-test fixtures: the simulated host only where FUSE can run, a skip with the reason elsewhere.

tests/conftest.py starts simulated hosts (``sim_factory``, ``seed``, ``x86``); under ``ansible-test units``
the tests run in ansible-test's own virtual environment and perhaps in a container, where /dev/fuse,
mfusepy or the right to mount may be missing. There the tests that need a simulated host are skipped,
naming what is missing, instead of failing; where FUSE works (as root on this machine) they run.
``module`` runs the modules in-process where pytest-ansible is not installed (ansible-test's venv).
"""

import os
import shutil
import subprocess
import sys

import pytest
from _pytest.fixtures import FixtureLookupError

_FUSE_PROBLEM = []


def fuse_problem():
    """Why the simulated host cannot run here, or None (computed once)."""
    if not _FUSE_PROBLEM:
        _FUSE_PROBLEM.append(_find_fuse_problem())
    return _FUSE_PROBLEM[0]


def _find_fuse_problem():
    if not sys.platform.startswith('linux'):
        return 'the simulated host needs Linux FUSE, this is %s' % sys.platform
    try:
        os.close(os.open('/dev/fuse', os.O_RDWR))
    except OSError as exc:
        return 'the simulated host needs FUSE: /dev/fuse: %s' % (exc.strerror or exc)
    if os.geteuid() != 0 and not shutil.which('fusermount3'):
        return 'the simulated host needs FUSE: not root and no fusermount3 (Debian package fuse3)'
    # The simulated host runs with this Python (tests/support/sim.py): it needs mfusepy and libfuse3.
    probe = subprocess.run([sys.executable, '-c', 'import mfusepy, yaml'], check=False, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
    if probe.returncode:
        last = (probe.stdout.strip().splitlines() or ['?'])[-1]
        return 'the simulated host needs mfusepy, PyYAML and libfuse3 (Debian package fuse3) for %s: %s' % (
            sys.executable, last)
    return None


@pytest.fixture
def module(request, monkeypatch):
    """tests/conftest.py's ``module`` (pytest-ansible's ``localhost``); without pytest-ansible (ansible-test
    units' venv), the module's main() in-process, with its check-mode twin all the same."""
    from support.ansible_run import run_with_check_twin
    from support.inprocess import run_module
    try:
        localhost = request.getfixturevalue('localhost')
    except FixtureLookupError:
        localhost = None
    if localhost is not None:
        monkeypatch.setenv('ANSIBLE_PYTHON_INTERPRETER', sys.executable)

        def real(name, args):
            return getattr(localhost, 'vfio.passthrough.' + name)(**args)['localhost']
    else:
        real = run_module

    def run(name, **args):
        return run_with_check_twin(name, args, real)
    return run


@pytest.fixture
def sim_factory(sim_factory):
    """tests/conftest.py's simulated hosts, or a skip naming what FUSE lacks here."""
    problem = fuse_problem()
    if problem:
        pytest.skip(problem)
    return sim_factory
