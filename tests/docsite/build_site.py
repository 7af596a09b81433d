"""The documentation site: antsibull-docs' module and role reference plus the guides, as HTML.

    python tests/docsite/build_site.py                 guides, lint and build (make docs-site)
    python tests/docsite/build_site.py guides          write docs/docsite/rst/*.rst from docs/*.md
    python tests/docsite/build_site.py guides --check  exit 1 if a page is not what its .md converts to
    python tests/docsite/build_site.py lint            antsibull-docs lint-collection-docs --plugin-docs
    python tests/docsite/build_site.py build           the HTML, in .docsite-build/build/html

The Markdown guides in docs/ stay the source: pandoc (Debian's package) reads each one as GitHub
Markdown and writes reStructuredText, after its links are turned into the site's references (a
guide to its page, docs/modules/ (built from ansible-doc's JSON) and roles/<role>/ to antsibull-docs' pages,
any other file of the repository to GitHub) and `vfio.passthrough.<name>` in code to the plugin's page.
The .rst files are committed, as antsibull-docs and a collection's installed docs/ expect them.
The Sphinx project is what `antsibull-docs sphinx-init --use-current` generates, with its
intersphinx inventory of docs.ansible.com replaced by a local one: no network is needed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zlib

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests'))
from support.generated import sync  # noqa: E402
DOCS = os.path.join(REPO, 'docs')
DOCSITE = os.path.join(DOCS, 'docsite')
RST = os.path.join(DOCSITE, 'rst')
BUILD = os.path.join(REPO, '.docsite-build')
BIN = os.path.dirname(sys.executable)
NAMESPACE, NAME = 'vfio', 'passthrough'
COLLECTION = NAMESPACE + '.' + NAME
LABEL_PREFIX = 'ansible_collections.%s.docsite.' % COLLECTION
# pandoc wraps nothing at this width: a wrapped grid table cell splits inline code mid-word.
COLUMNS = '100000'
# What lint-collection-docs reads of the collection.
LINT_CONTENT = ('galaxy.yml', 'README.md', 'meta', 'plugins', 'roles', 'docs', 'changelogs')
# The labels of docs.ansible.com that antsibull-docs' pages refer to, for the local inventory.
ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
ANSIBLE_LABELS = {
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values',
                             'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
}
# Characters RST accepts right before and right after inline markup.
BEFORE_MARKUP = ' \t\n\'"([{<-/:'
AFTER_MARKUP = ' \t\n\'")]}>-/:.,;!?\\'


# The raw lines the converter adds (the comment at the top, the labels), without the blank line after.
RAW_LINE = re.compile(r'^(\.\. (?:_%s\S*:|Generated from docs/.*))\n(?!\n)' % re.escape(LABEL_PREFIX), re.M)


class ConversionError(Exception):
    """A guide that cannot be converted (a link to nothing)."""


def env():
    """Subprocess environment: the venv's tools first, the repository's ansible.cfg, no colour, and
    the collection from the venv's link only (pytest-ansible, say, points ANSIBLE_COLLECTIONS_PATH
    elsewhere)."""
    return dict(os.environ, PATH=BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_NOCOLOR='1',
                ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'),
                ANSIBLE_COLLECTIONS_PATH=os.path.dirname(os.path.dirname(os.path.dirname(collection_path()))))


def modules():
    """The collection's module names."""
    return sorted(f[:-3] for f in os.listdir(os.path.join(REPO, 'plugins', 'modules'))
                  if f.endswith('.py') and not f.startswith('_'))


def roles():
    """The collection's role names (those with an argument spec, as antsibull-docs documents)."""
    return sorted(d for d in os.listdir(os.path.join(REPO, 'roles'))
                  if os.path.exists(os.path.join(REPO, 'roles', d, 'meta', 'argument_specs.yml')))


def guides():
    """Names of the Markdown guides, docs/<name>.md."""
    return sorted(f[:-3] for f in os.listdir(DOCS) if f.endswith('.md'))


def page_label(name):
    """The RST label of a guide's page."""
    return LABEL_PREFIX + name.replace('-', '_')


def github_base():
    """https://github.com/<repository>/blob/<branch>/ from docs/docsite/links.yml."""
    with open(os.path.join(DOCSITE, 'links.yml')) as f:
        eog = yaml.safe_load(f)['edit_on_github']
    return 'https://github.com/%s/blob/%s/%s' % (eog['repository'], eog['branch'], eog.get('path_prefix') or '')


def plugin_label(name):
    """The antsibull-docs label of a module's or role's page, or None."""
    if name in modules():
        return 'ansible_collections.%s.%s_module' % (COLLECTION, name)
    if name in roles():
        return 'ansible_collections.%s.%s_role' % (COLLECTION, name)
    return None


def stringify(inlines):
    """The plain text of a list of pandoc inlines."""
    out = []
    for node in inlines:
        kind, content = node['t'], node.get('c')
        if kind == 'Str':
            out.append(content)
        elif kind in ('Space', 'SoftBreak', 'LineBreak'):
            out.append(' ')
        elif kind in ('Code', 'Math', 'RawInline'):
            out.append(content[1])
        elif kind in ('Link', 'Image', 'Span', 'Quoted', 'Cite'):
            out.append(stringify(content[1]))
        elif isinstance(content, list):
            out.append(stringify(content))
    return ''.join(out)


def ref(text, label):
    """:ref:`text <label>` with the text escaped for RST."""
    for char in ('\\', '`', '<', '>'):
        text = text.replace(char, '\\' + char)
    return ':ref:`%s <%s>`' % (text, label)


class Converter:
    """Rewrites one guide's pandoc AST for the site."""

    def __init__(self, name):
        self.name = name
        self.modules = modules()
        self.roles = roles()
        self.guides = guides()

    def link_target(self, url):
        """('ref', label) or ('url', url) for a link of the guide; ConversionError for a broken one."""
        if '://' in url or url.startswith('mailto:') or url.startswith('#'):
            if url.startswith('#'):
                return 'ref', '%s.%s' % (page_label(self.name), url[1:])
            return 'url', url
        path, fragment = (url.split('#', 1) + [''])[:2]
        rel = os.path.normpath(os.path.join('docs', path)).replace(os.sep, '/')
        parts = rel.split('/')
        if rel.startswith('..') or not os.path.exists(os.path.join(REPO, rel)):
            raise ConversionError('docs/%s.md links to %s, which does not exist' % (self.name, url))
        if len(parts) == 2 and parts[0] == 'docs' and parts[1][:-3] in self.guides and parts[1].endswith('.md'):
            label = page_label(parts[1][:-3])
            return 'ref', ('%s.%s' % (label, fragment)) if fragment else label
        if rel == 'docs/modules':
            return 'ref', 'plugins_in_%s' % COLLECTION
        if parts[:2] == ['docs', 'modules'] and len(parts) == 3:
            name = parts[2][:-3]
            name = name[len('role-'):] if name.startswith('role-') else name
            if plugin_label(name):
                return 'ref', plugin_label(name)
        if parts[0] == 'roles' and len(parts) == 2 and parts[1] in self.roles:
            return 'ref', plugin_label(parts[1])
        if parts[:2] == ['plugins', 'modules'] and len(parts) == 3 and parts[2][:-3] in self.modules:
            return 'ref', plugin_label(parts[2][:-3])
        return 'url', github_base() + rel + ('#' + fragment if fragment else '')

    def inline(self, node):
        """The replacement of one inline node (after its children)."""
        kind = node['t']
        if kind == 'Link':
            attr, content, (url, title) = node['c']
            how, target = self.link_target(url)
            if how == 'ref':
                return {'t': 'RawInline', 'c': ['rst', ref(stringify(content), target)]}
            node['c'] = [attr, content, [target, title]]
        elif kind == 'Code':
            text = node['c'][1]
            if text.startswith(COLLECTION + '.'):
                short = text[len(COLLECTION) + 1:]
                if short in self.modules:
                    return {'t': 'RawInline', 'c': ['rst', ':ansplugin:`%s#module`' % text]}
                if short in self.roles:
                    return {'t': 'RawInline', 'c': ['rst', ':ansplugin:`%s#role`' % text]}
        return node

    @staticmethod
    def separate(inlines):
        """Escape-separate raw RST markup from letters next to it, as RST needs."""
        out = []
        for i, node in enumerate(inlines):
            if node['t'] == 'RawInline' and node['c'][0] == 'rst':
                text = node['c'][1]
                before = inlines[i - 1] if i else None
                after = inlines[i + 1] if i + 1 < len(inlines) else None
                if before and before['t'] == 'Str' and before['c'][-1:] not in BEFORE_MARKUP:
                    text = '\\ ' + text
                if after and after['t'] == 'Str' and after['c'][:1] not in AFTER_MARKUP:
                    text = text + '\\ '
                node = {'t': 'RawInline', 'c': ['rst', text]}
            out.append(node)
        return out

    def walk(self, value):
        """The AST below value, rewritten bottom-up."""
        if isinstance(value, list):
            items = [self.walk(item) for item in value]
            if items and all(isinstance(item, dict) and 't' in item for item in items):
                items = self.separate([self.inline(item) for item in items])
            return items
        if isinstance(value, dict) and 'c' in value:
            value = dict(value, c=self.walk(value['c']))
        return value

    def blocks(self, blocks):
        """Labels before the title and every section; code blocks without a language as text."""
        out = [{'t': 'RawBlock', 'c': ['rst', '.. Generated from docs/%s.md by tests/docsite/build_site.py '
                                              '(make docs-site): edit the Markdown, not this file.' % self.name]}]
        titled = False
        for block in blocks:
            if block['t'] == 'Header':
                level, (ident, classes, attrs), content = block['c']
                if level == 1 and not titled:
                    label = page_label(self.name)
                    titled = True
                else:
                    label = '%s.%s' % (page_label(self.name), ident)
                out.append({'t': 'RawBlock', 'c': ['rst', '.. _%s:' % label]})
                block = {'t': 'Header', 'c': [level, ['', classes, attrs], content]}
            elif block['t'] == 'CodeBlock':
                (ident, classes, attrs), text = block['c']
                block = {'t': 'CodeBlock', 'c': [[ident, classes or ['text'], attrs], text]}
            out.append(block)
        if not titled:
            raise ConversionError('docs/%s.md has no "# title" line' % self.name)
        return out

    def convert(self, ast):
        """The rewritten AST."""
        ast['blocks'] = self.blocks(self.walk(ast['blocks']))
        return ast


def pandoc(args, data=None):
    """pandoc's output."""
    try:
        return subprocess.run(['pandoc'] + args, input=data, check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout
    except FileNotFoundError:
        raise ConversionError('pandoc is missing: apt-get install pandoc (make docs-site installs it)') from None


def convert(name):
    """The RST page of docs/<name>.md."""
    ast = json.loads(pandoc(['-f', 'gfm', '-t', 'json', os.path.join(DOCS, name + '.md')]))
    ast = Converter(name).convert(ast)
    text = pandoc(['-f', 'json', '-t', 'rst', '--columns', COLUMNS], json.dumps(ast))
    # pandoc puts no blank line after a raw block; RST wants one after the comment and each label.
    return RAW_LINE.sub(r'\1\n\n', text)


def write_guides(check=False):
    """Write (or with check, compare) docs/docsite/rst/*.rst; returns the stale or removed names."""
    expected = {name + '.rst': convert(name) for name in guides()}
    stale = sync(RST, expected, check)
    for file_name in sorted(os.listdir(RST)):
        if file_name.endswith('.rst') and file_name not in expected:
            stale.append(file_name)
            if not check:
                os.remove(os.path.join(RST, file_name))
    return stale


def collection_path():
    """ansible_collections/vfio/passthrough in the venv (make venv links it to this checkout)."""
    path = os.path.join(sysconfig.get_paths()['purelib'], 'ansible_collections', NAMESPACE, NAME)
    if os.path.realpath(path) != os.path.realpath(REPO):
        raise ConversionError('%s is not a link to %s: run make venv' % (path, REPO))
    return path


def lint():
    """antsibull-docs lint-collection-docs --plugin-docs on the collection: (returncode, output).

    It runs on a copy of the collection's content in a temporary ansible_collections/vfio/passthrough:
    pointed at a git work tree, antsibull-docs copies every tracked file and follows the symbolic
    links that leave the tree, such as collections/ansible_collections/vfio/passthrough/.venv in
    a clone elsewhere (they are absolute), whose venv links back to a checkout: a copy without end.
    """
    work = tempfile.mkdtemp(prefix='vfio-docsite-lint-')
    try:
        dest = os.path.join(work, 'ansible_collections', NAMESPACE, NAME)
        os.makedirs(dest)
        for entry in LINT_CONTENT:
            source = os.path.join(REPO, entry)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(dest, entry), ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            elif os.path.exists(source):
                shutil.copy2(source, os.path.join(dest, entry))
        # Only the copy: with the venv's link in sight too, antsibull-docs takes the plugins' paths from
        # its own copy and the collection's from the link, and its Edit-on-GitHub links then hold the
        # temporary directory's name, an RST error when that name ends in "_".
        lint_env = dict(env(), ANSIBLE_COLLECTIONS_PATH=work, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='False')
        proc = subprocess.run([os.path.join(BIN, 'antsibull-docs'), 'lint-collection-docs', '--plugin-docs',
                               '--check-extra-docs-refs', '.'], cwd=dest, env=lint_env, check=False,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=600)
        return proc.returncode, proc.stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_inventory(path):
    """A Sphinx objects.inv of the docs.ansible.com labels antsibull-docs' pages refer to."""
    lines = ''.join('%s std:label -1 %s %s\n' % (label, uri, title)
                    for label, (uri, title) in sorted(ANSIBLE_LABELS.items()))
    with open(path, 'wb') as f:
        f.write(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
                b'# The remainder of this file is compressed using zlib.\n')
        f.write(zlib.compress(lines.encode('utf-8')))


CONF_TAIL = '''
# Added by tests/docsite/build_site.py: this collection's titles and links, and intersphinx from
# a local inventory of the docs.ansible.com labels the pages use (no network here).
project = %(collection)r
title = html_short_title = html_title = %(collection)r + ' documentation'
copyright = %(authors)r
html_theme_options = {'topbar_links': {'Repository': %(repository)r, 'Issues': %(issues)r}}
intersphinx_mapping = {'ansible_devel': (%(ansible_docs)r, %(inventory)r)}
'''

ROOT_INDEX = '''.. _docsite_root_index:

%(title)s
%(underline)s

%(description)s

.. toctree::
   :maxdepth: 2
   :caption: Collection:

   collections/%(namespace)s/%(name)s/index

.. toctree::
   :maxdepth: 1
   :caption: Guides:
%(guides)s

.. toctree::
   :maxdepth: 1
   :caption: Plugin indexes:
   :glob:

   collections/index_*

.. toctree::
   :maxdepth: 1
   :caption: Reference indexes:

   collections/environment_variables
'''


def galaxy():
    """galaxy.yml."""
    with open(os.path.join(REPO, 'galaxy.yml')) as f:
        return yaml.safe_load(f)


def extra_docs_entries():
    """(ref, title or None) of each toctree entry of docs/docsite/extra-docs.yml, in order."""
    with open(os.path.join(DOCSITE, 'extra-docs.yml')) as f:
        index = yaml.safe_load(f)
    return [(entry['ref'], entry.get('title')) if isinstance(entry, dict) else (entry, None)
            for section in index['sections'] for entry in section['toctree']]


def extra_docs_refs():
    """The toctree entries of docs/docsite/extra-docs.yml, in order."""
    return [entry[0] for entry in extra_docs_entries()]


def run(cmd, cwd):
    """Run a build step, echoing it."""
    print('+ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, env=env(), check=True)


def build(dest=BUILD):
    """Build the HTML site in dest (recreated); returns the path of its index.html."""
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    os.makedirs(dest, mode=0o700)
    os.chmod(dest, 0o700)  # antsibull-docs wants its directories writable by their owner only
    antsibull = os.path.join(BIN, 'antsibull-docs')
    run([antsibull, 'sphinx-init', '--use-current', '--dest-dir', dest, COLLECTION], REPO)
    meta = galaxy()
    inventory = os.path.join(dest, 'ansible_devel.inv')
    write_inventory(inventory)
    with open(os.path.join(dest, 'conf.py'), 'a') as f:
        f.write(CONF_TAIL % {'collection': COLLECTION, 'repository': meta['repository'], 'issues': meta['issues'],
                             'authors': ', '.join(meta['authors']), 'ansible_docs': ANSIBLE_DOCS,
                             'inventory': inventory})
    title = '%s documentation' % COLLECTION
    guide_entries = []
    for ref, entry_title in extra_docs_entries():
        page = 'collections/%s/%s/docsite/%s' % (NAMESPACE, NAME, ref)
        guide_entries.append('\n   ' + ('%s <%s>' % (entry_title, page) if entry_title else page))
    with open(os.path.join(dest, 'rst', 'index.rst'), 'w') as f:
        f.write(ROOT_INDEX % {'title': title, 'underline': '=' * len(title), 'namespace': NAMESPACE,
                              'name': NAME, 'guides': ''.join(guide_entries),
                              'description': ' '.join(meta['description'].split())})
    os.chmod(os.path.join(dest, 'rst'), 0o700)
    run([antsibull, '--config-file', 'antsibull-docs.cfg', 'collection', '--cleanup', 'everything',
         '--use-current', '--dest-dir', 'rst', COLLECTION], dest)
    run([os.path.join(BIN, 'sphinx-build'), '-M', 'html', 'rst', 'build', '-c', '.', '-W', '--keep-going', '-q'],
        dest)
    return os.path.join(dest, 'build', 'html', 'index.html')


def main(argv=None):
    """Command line; see the module's doc."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('step', nargs='?', choices=('all', 'guides', 'lint', 'build'), default='all')
    parser.add_argument('--check', action='store_true', help='with guides: only say which pages are stale')
    parser.add_argument('--dest', default=BUILD, help='with build: where to build (default .docsite-build)')
    args = parser.parse_args(argv)
    try:
        if args.step in ('all', 'guides'):
            stale = write_guides(check=args.check)
            if args.check and stale:
                print('out of date (run make docs-site): %s' % ', '.join('docs/docsite/rst/' + s for s in stale))
                return 1
            listed = extra_docs_refs()
            unlisted, unknown = sorted(set(guides()) - set(listed)), sorted(set(listed) - set(guides()))
            if unlisted or unknown:
                print('docs/docsite/extra-docs.yml lists the guides: add %s; remove %s'
                      % (', '.join(unlisted) or 'nothing', ', '.join(unknown) or 'nothing'))
                return 1
        if args.step in ('all', 'lint'):
            code, output = lint()
            print(output, end='')
            if code:
                print('antsibull-docs lint-collection-docs failed')
                return code
        if args.step in ('all', 'build'):
            index = build(os.path.abspath(args.dest))
            collection_index = os.path.join(os.path.dirname(index), 'collections', NAMESPACE, NAME, 'index.html')
            print('site: %s\ncollection: %s' % (index, collection_index))
    except (ConversionError, subprocess.CalledProcessError) as exc:
        print('error: %s' % exc)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
