"""Render the module and role reference into docs/modules/*.md from ansible-doc's JSON.

    python tests/render_docs.py          write the pages
    python tests/render_docs.py --check  exit 1 if a page is not what the documentation gives now

The pages are built here from ``ansible-doc --json`` rather than taken from ansible-doc's text, whose
layout changes between ansible-core releases: the same documentation gives the same page under every
ansible-core of the support matrix.
"""

import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, 'docs', 'modules')
BIN = os.path.dirname(sys.executable)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support.generated import sync  # noqa: E402

_MARKUP = re.compile(r'\b([CIMBURLOVE]|RV)\(([^()]*)\)')


def inline(text):
    """Ansible's markup (C(), I(), M(), B(), U(), L(), O(), V(), RV(), E()) as Markdown."""
    def one(m):
        kind, body = m.group(1), m.group(2)
        if kind == 'I':
            return '*%s*' % body
        if kind == 'B':
            return '**%s**' % body
        if kind == 'U':
            return '<%s>' % body
        if kind == 'L':
            label, _sep, url = body.rpartition(',')
            return '[%s](%s)' % (label.strip(), url.strip())
        if kind == 'M' and body.startswith('vfio.passthrough.'):
            return '[%s](%s.md)' % (body, body.split('.')[-1])
        return '`%s`' % body
    return _MARKUP.sub(one, str(text))


def paragraphs(value):
    """A description (a string or a list of them) as Markdown paragraphs."""
    items = value if isinstance(value, list) else [value] if value else []
    return '\n\n'.join(inline(p) for p in items)


def cell(value):
    """A description for one table cell: paragraphs joined by line breaks, pipes escaped."""
    return paragraphs(value).replace('|', '\\|').replace('\n\n', '<br>').replace('\n', ' ')


def facts(spec, keys):
    """``type: list of str, default: 300, choices: ...`` for a table cell."""
    out = []
    kind = spec.get('type', 'str')
    if kind == 'list' and spec.get('elements'):
        kind = 'list of %s' % spec['elements']
    out.append(kind)
    if spec.get('required'):
        out.append('required')
    for key in keys:
        if key in spec and spec[key] is not None and key != 'required':
            out.append('%s: `%s`' % (key, json.dumps(spec[key]) if not isinstance(spec[key], str) else spec[key]))
    return '<br>'.join(out)


def table(specs, keys, children, prefix=''):
    """Rows of a table of options or return values, nested ones named ``parent.child``."""
    rows = []
    for name in sorted(specs):
        spec = specs[name]
        rows.append('| `%s%s` | %s | %s |' % (prefix, name, facts(spec, keys), cell(spec.get('description'))))
        if spec.get(children):
            rows += table(spec[children], keys, children, '%s%s.' % (prefix, name))
    return rows


def options(specs):
    """The options table."""
    if not specs:
        return ''
    head = ['| option | type, default, choices | description |', '| --- | --- | --- |']
    return '\n'.join(head + table(specs, ('default', 'choices', 'aliases'), 'suboptions')) + '\n'


def returns(specs):
    """The return values table."""
    if not specs:
        return ''
    head = ['| key | type, returned, sample | description |', '| --- | --- | --- |']
    return '\n'.join(head + table(specs, ('returned', 'sample'), 'contains')) + '\n'


def see_also(entry):
    """One seealso entry: a module links to its page, anything else is named."""
    if 'module' in entry:
        return inline('M(%s)' % entry['module'])
    return inline(entry.get('name') or entry.get('ref') or entry.get('link', ''))


def module_page(name, data):
    """The page of one module."""
    doc = data['doc']
    parts = ['# vfio.passthrough.%s (module)' % name, inline(doc.get('short_description', '')),
             'Rendered by `make docs` from the module\'s documentation.', paragraphs(doc.get('description')),
             '## Requirements', '\n'.join('- %s' % inline(r) for r in doc.get('requirements') or []),
             '## Options', options(doc.get('options'))]
    attributes = doc.get('attributes') or {}
    if attributes:
        parts += ['## Attributes', '\n'.join(['| attribute | support | description |', '| --- | --- | --- |'] + [
            '| %s | %s | %s |' % (a, attributes[a].get('support', ''), cell(attributes[a].get('description')))
            for a in sorted(attributes)])]
    if doc.get('notes'):
        parts += ['## Notes', '\n'.join('- %s' % inline(n) for n in doc['notes'])]
    if doc.get('seealso'):
        parts += ['## See also', '\n'.join('- %s' % see_also(s) for s in doc['seealso'])]
    parts += ['## Examples', '```yaml\n%s\n```' % (data.get('examples') or '').strip('\n'),
              '## Return values', returns(data.get('return'))]
    return '\n\n'.join(p.strip('\n') for p in parts if p and p.strip()) + '\n'


def role_page(name, data):
    """The page of one role: each entry point's description and options."""
    parts = ['# vfio.passthrough.%s (role)' % name, 'Rendered by `make docs` from the role\'s argument specification.']
    for entry in sorted(data['entry_points']):
        spec = data['entry_points'][entry]
        parts += ['## Entry point `%s`: %s' % (entry, inline(spec.get('short_description', ''))),
                  paragraphs(spec.get('description')), '### Variables', options(spec.get('options'))]
    return '\n\n'.join(p.strip('\n') for p in parts if p and p.strip()) + '\n'


def documentation(kind, name):
    """ansible-doc's JSON for one plugin or role."""
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'))
    text = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', kind, '--json', 'vfio.passthrough.' + name],
                          check=True, stdout=subprocess.PIPE, universal_newlines=True, env=env).stdout
    return json.loads(text)['vfio.passthrough.' + name]


def pages():
    """(file name, text) of every page."""
    modules = sorted(f[:-3] for f in os.listdir(os.path.join(REPO, 'plugins', 'modules')) if f.endswith('.py'))
    roles = sorted(d for d in os.listdir(os.path.join(REPO, 'roles'))
                   if os.path.exists(os.path.join(REPO, 'roles', d, 'meta', 'argument_specs.yml')))
    return ([(m + '.md', module_page(m, documentation('module', m))) for m in modules] +
            [('role-%s.md' % r, role_page(r, documentation('role', r))) for r in roles])


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
