#!/usr/bin/env python
"""ansible-test units on a copy of the collection (ansible_collections/vfio/passthrough), in a venv.

Usage: tests/ansible-test/units.py [ANSIBLE-TEST ARGS...]   (run with the project's venv Python)
ansible-test installs tests/unit/requirements.txt into its own virtual environment; the tests that
need the simulated host (FUSE) skip with the reason where /dev/fuse or mfusepy is missing there.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tree  # noqa: E402


def main():
    """Copy, then run ansible-test units with this Python's version."""
    tree.provide_pip_bootstrap()
    version = '%d.%d' % sys.version_info[:2]
    with tree.collection_tree('vfio-units-') as dest:
        cmd = [tree.ansible_test(), 'units', '--venv', '--python', version, '--color', 'no'] + sys.argv[1:]
        print('+ ' + ' '.join(cmd), flush=True)
        return subprocess.call(cmd, cwd=dest)


if __name__ == '__main__':
    sys.exit(main())
