"""Run ansible-test sanity on a copy of the collection at ansible_collections/vfio/passthrough.

ansible-test needs that directory layout; the copy holds what git tracks (or, outside a git
checkout, everything but the venv and caches). Extra arguments go to ansible-test.
"""

import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP = {'.venv', '.git', '.pytest_cache', '__pycache__', 'collections', '.kernel-lab', 'tests/output'}


def tracked_files():
    """The files to copy, relative to the repository."""
    try:
        out = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=REPO, check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
        return [f for f in out.splitlines() if os.path.isfile(os.path.join(REPO, f))]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for dirpath, dirnames, filenames in os.walk(REPO):
            rel = os.path.relpath(dirpath, REPO)
            dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel, d)) not in SKIP and d not in SKIP]
            found += [os.path.normpath(os.path.join(rel, f)) for f in filenames]
        return found


# ansible-test bootstraps pip in each of its virtual environments with a get-pip script it downloads
# from a host this machine cannot reach. This stand-in does the same from the standard library
# (ensurepip) and the package index: it is saved where ansible-test looks for its cached copy.
GET_PIP = """import subprocess, sys
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check'] + args)
"""


def provide_pip_bootstrap():
    """Save the get-pip stand-in where ansible-test caches its bootstrap script."""
    from ansible_test._internal.python_requirements import get_venv_packages  # noqa: F401 (checks the layout)
    import ansible_test._internal.python_requirements as reqs
    import inspect
    import re
    versions = set(re.findall(r"pip='([0-9.]+)'", inspect.getsource(reqs))) or {'24.2'}
    cache = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache, exist_ok=True)
    for version in versions:
        path = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
        if not os.path.exists(path):
            with open(path, 'w') as f:
                f.write(GET_PIP)


def main():
    """Copy, then run ansible-test sanity with the venv's Python."""
    work = tempfile.mkdtemp(prefix='vfio-sanity-')
    dest = os.path.join(work, 'ansible_collections', 'vfio', 'passthrough')
    try:
        for rel in tracked_files():
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(REPO, rel), target)
        provide_pip_bootstrap()
        version = '%d.%d' % sys.version_info[:2]
        test = os.path.join(os.path.dirname(sys.executable), 'ansible-test')
        cmd = [test, 'sanity', '--venv', '--python', version, '--color', 'no'] + sys.argv[1:]
        print('+ ' + ' '.join(cmd), flush=True)
        return subprocess.call(cmd, cwd=dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
