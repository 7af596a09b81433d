#!/usr/bin/env python
"""Render docs/modules/*.md with the ansible-doc next to this Python and diff them with the committed pages.

Usage: VENV/bin/python tests/ansible-test/docs_diff.py   (writes nothing; exit 1 on a difference)
tests/render_docs.py --check says which pages differ; this shows how, to tell whether the committed
pages depend on the ansible-core version.
"""

import difflib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, TESTS)
import render_docs  # noqa: E402  (tests/render_docs.py)


def main():
    """Print a unified diff per page that differs; exit 1 if any does."""
    version = subprocess.run([os.path.join(render_docs.BIN, 'ansible'), '--version'], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout.splitlines()[0]
    differ = []
    for name, text in render_docs.pages():
        path = os.path.join(render_docs.OUT, name)
        committed = ''
        if os.path.exists(path):
            with open(path) as f:
                committed = f.read()
        if committed != text:
            differ.append(name)
            sys.stdout.writelines(difflib.unified_diff(committed.splitlines(True), text.splitlines(True),
                                                       'docs/modules/' + name, '%s (%s)' % (name, version)))
    print('%s: %d page(s) differ from the committed ones%s' % (
        version, len(differ), (': ' + ', '.join(differ)) if differ else ''))
    return 1 if differ else 0


if __name__ == '__main__':
    sys.exit(main())
