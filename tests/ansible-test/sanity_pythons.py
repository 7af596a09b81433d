#!/usr/bin/env python
"""ansible-test sanity's compile and import tests on every target Python of the support matrix.

Usage: VENV/bin/python tests/ansible-test/sanity_pythons.py [--versions 3.6,3.7] [ANSIBLE-TEST ARGS...]
Runs the ansible-test of VENV (the one next to this Python) on a copy of the collection, once per Python
version, with the pyenv Pythons (/root/.pyenv/versions/X.Y.*) first on PATH as pythonX.Y. Default
versions: those this ansible-test supports (3.6 and newer); those pyenv lacks are skipped (with
--versions, missing ones fail). The newest ansible-core
supports 3.8+ on targets; 3.6 and 3.7 are run with the ansible-core 2.16 venv (oldest.sh).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tree  # noqa: E402

TESTS = ['compile', 'import']


def supported_versions():
    """The Python versions this ansible-test knows."""
    from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
    return [v for v in SUPPORTED_PYTHON_VERSIONS if tuple(map(int, v.split('.'))) >= (3, 6)]


def main():
    """Copy, then compile and import for each version; a summary line per version."""
    args = sys.argv[1:]
    versions = None
    if args[:1] == ['--versions']:
        versions, args = args[1].split(','), args[2:]
    known = supported_versions()
    asked = bool(versions)
    versions = versions or known
    unknown = [v for v in versions if v not in known]
    if unknown:
        print('this ansible-test does not support Python %s (it supports %s)' % (', '.join(unknown), ', '.join(known)))
        return 2
    found = tree.pyenv_path(versions)
    tree.provide_pip_bootstrap()
    bindir = tempfile.mkdtemp(prefix='vfio-pythons-')
    for version, path in found.items():
        os.symlink(os.path.join(path, 'python' + version), os.path.join(bindir, 'python' + version))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get('PATH', ''))
    controller = '%d.%d' % sys.version_info[:2]
    failed = []
    summary = []
    with tree.collection_tree('vfio-sanity-pythons-') as dest:
        for version in versions:
            if version not in found and version != controller:
                # asked for by --versions: a failure; else skipped, as ansible-test skips a Python it cannot find
                summary.append('%-5s %s (no pyenv Python %s)' % (version, 'MISSING' if asked else 'skipped', version))
                if asked:
                    failed.append(version)
                continue
            cmd = [tree.ansible_test(), 'sanity', '--venv', '--python', version, '--color', 'no']
            cmd += [x for t in TESTS for x in ('--test', t)] + args
            print('+ ' + ' '.join(cmd), flush=True)
            start = time.time()
            rc = subprocess.call(cmd, cwd=dest, env=env)
            summary.append('%-5s %s (%.0f s)' % (version, 'ok' if rc == 0 else 'FAILED rc=%d' % rc, time.time() - start))
            if rc:
                failed.append(version)
    shutil.rmtree(bindir, ignore_errors=True)
    print('\ncompile and import with %s:' % tree.ansible_test())
    print('\n'.join('  ' + line for line in summary))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
