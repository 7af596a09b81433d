"""A copy of the collection at TMP/ansible_collections/vfio/passthrough, where ansible-test wants it.

Shared by the scripts of this directory. The copy holds the files tests/sanity.py copies (what git
tracks, plus untracked files not ignored); the pip bootstrap stand-in of tests/sanity.py is saved
where ansible-test looks for it (this machine reaches the package index only).
"""

import contextlib
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
REPO = os.path.dirname(TESTS)

sys.path.insert(0, TESTS)
import sanity  # noqa: E402  (tests/sanity.py: tracked_files, provide_pip_bootstrap)

sys.path.remove(TESTS)


@contextlib.contextmanager
def collection_tree(prefix='vfio-ansible-test-'):
    """Yield the path of a fresh ansible_collections/vfio/passthrough copy; remove it afterwards."""
    work = tempfile.mkdtemp(prefix=prefix)
    dest = os.path.join(work, 'ansible_collections', 'vfio', 'passthrough')
    try:
        for rel in sanity.tracked_files():
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(REPO, rel), target)
        yield dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ansible_test(python=sys.executable):
    """The ansible-test next to a venv's Python."""
    return os.path.join(os.path.dirname(python), 'ansible-test')


def provide_pip_bootstrap():
    """Save the get-pip stand-in (tests/sanity.py) for the ansible-test of the running Python."""
    sanity.provide_pip_bootstrap()


def pyenv_path(versions):
    """{version: bin directory} of the pyenv Pythons (PYENV_ROOT, else ~/.pyenv) of ``versions``."""
    base = os.path.join(os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv'), 'versions')
    found = {}
    if os.path.isdir(base):
        for name in sorted(os.listdir(base)):
            short = '.'.join(name.split('.')[:2])
            if short in versions and short not in found and os.path.exists(os.path.join(base, name, 'bin', 'python' + short)):
                found[short] = os.path.join(base, name, 'bin')
    return found
