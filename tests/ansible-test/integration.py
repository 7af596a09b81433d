#!/usr/bin/env python
"""ansible-test integration on a copy of the collection (ansible_collections/vfio/passthrough).

Usage: tests/ansible-test/integration.py [ANSIBLE-TEST ARGS...] [TARGET...]   (with the project's venv Python)
Default: --venv with this Python's version (ansible-test installs tests/integration/requirements.txt,
mfusepy and PyYAML, for the simulated host); pass --local to run in this Python's environment instead.
Every target starts its own simulated host (setup_simhost) and stops it at the end; they need root
and /dev/fuse (needs/root).
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tree  # noqa: E402


def main():
    """Copy, then run ansible-test integration."""
    tree.provide_pip_bootstrap()
    args = sys.argv[1:]
    if not any(a in ('--local', '--venv', '--docker') or a.startswith(('--docker=', '--controller', '--target'))
               for a in args):
        args = ['--venv', '--python', '%d.%d' % sys.version_info[:2]] + args
    with tree.collection_tree('vfio-integration-') as dest:
        cmd = [tree.ansible_test(), 'integration', '--color', 'no'] + args
        print('+ ' + ' '.join(cmd), flush=True)
        return subprocess.call(cmd, cwd=dest)


if __name__ == '__main__':
    sys.exit(main())
