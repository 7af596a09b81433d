"""Render the module and role reference into docs/modules/*.md with ansible-doc.

    python tests/render_docs.py          write the pages
    python tests/render_docs.py --check  exit 1 if a page is not what ansible-doc renders now
"""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, 'docs', 'modules')
BIN = os.path.dirname(sys.executable)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support.generated import sync  # noqa: E402


def render(kind, name):
    """ansible-doc's text for one plugin, without the line that names where it was found."""
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', COLUMNS='100',
               ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'))
    text = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', kind, 'vfio.passthrough.' + name],
                          check=True, stdout=subprocess.PIPE, universal_newlines=True, env=env).stdout
    lines = [line.rstrip() for line in text.splitlines()]
    if lines and lines[0].startswith('>'):
        lines[0] = lines[0].split(' (')[0]
    return '# vfio.passthrough.%s (%s)\n\nRendered by `make docs` from the %s\'s documentation.\n\n```\n%s\n```\n' % (
        name, kind, kind, '\n'.join(lines).strip('\n'))


def pages():
    """(file name, text) of every page."""
    modules = sorted(f[:-3] for f in os.listdir(os.path.join(REPO, 'plugins', 'modules')) if f.endswith('.py'))
    roles = sorted(d for d in os.listdir(os.path.join(REPO, 'roles'))
                   if os.path.exists(os.path.join(REPO, 'roles', d, 'meta', 'argument_specs.yml')))
    return [(m + '.md', render('module', m)) for m in modules] + [('role-%s.md' % r, render('role', r)) for r in roles]


def main():
    """Write or check the pages."""
    check = '--check' in sys.argv
    stale = sync(OUT, dict(pages()), check)
    if check and stale:
        print('out of date (run make docs): %s' % ', '.join(stale))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
