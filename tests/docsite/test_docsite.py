"""The documentation site (make docs-site) built, linted, and looked at in headless Chromium.

Chromium (Debian's package, which make docs-site-test installs) loads the built pages from disk:
--dump-dom gives the page as the browser built it, which must list every module, role and guide,
and the mdev module's options table; --screenshot keeps a picture of each page for review in
tests/output/docsite/.
"""

import ast
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser

import pytest
import yaml

import build_site

SHOTS = os.path.join(build_site.REPO, 'tests', 'output', 'docsite')
# Named in the collection's issue: the index must list them all, whatever else is added.
MODULES = {'ap_masks', 'ccw_info', 'cio_ignore', 'driver_override', 'driver_override_info', 'mdev', 'mdev_info',
           'mdev_validate'}
ROLES = {'vfio_ap', 'vfio_ccw'}
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync',
                  '--hide-scrollbars']


@pytest.fixture(scope='module')
def html():
    """The built site's HTML directory (built once for this file, in .docsite-build)."""
    return os.path.dirname(build_site.build())


def chromium(url, *args):
    """Run headless Chromium with a fresh profile on url; its standard output."""
    binary = shutil.which('chromium')
    if not binary:
        pytest.fail('chromium is missing: apt-get install chromium (make docs-site-test installs it)')
    profile = tempfile.mkdtemp(prefix='vfio-docsite-chromium-')
    try:
        proc = subprocess.run([binary] + CHROMIUM_FLAGS + ['--user-data-dir=' + profile] + list(args) + [url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, 'chromium failed on %s:\n%s' % (url, proc.stderr)
    return proc.stdout


def dom(path):
    """The page's DOM as Chromium built it."""
    text = chromium('file://' + path, '--dump-dom')
    assert '</html>' in text, 'no DOM for %s' % path
    return text


def screenshot(path, name, height):
    """Save a 1280 x height screenshot of the page as tests/output/docsite/<name>.png; its path."""
    os.makedirs(SHOTS, exist_ok=True)
    png = os.path.join(SHOTS, name + '.png')
    if os.path.exists(png):
        os.remove(png)
    chromium('file://' + path, '--window-size=1280,%d' % height, '--screenshot=' + png)
    assert os.path.exists(png), 'chromium wrote no screenshot of %s' % path
    return png


def png_rows(path):
    """(width, height, number of distinct filtered rows) of an 8-bit PNG: a blank page has a few."""
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', '%s is not a PNG' % path
    pos, idat, header = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            header = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT':
            idat += body
    width, height, depth, color = header
    assert depth == 8, 'unexpected bit depth %d' % depth
    stride = 1 + width * {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(idat)
    return width, height, len({raw[i * stride:(i + 1) * stride] for i in range(height)})


def assert_rendered(png, height):
    """The screenshot has the window's size and is not a blank page."""
    width, got_height, distinct = png_rows(png)
    assert (width, got_height) == (1280, height)
    assert distinct > height // 4, '%s looks blank (%d distinct rows of %d)' % (png, distinct, height)


class Page(HTMLParser):
    """Links (href, text), and the option anchors of each antsibull-docs option table."""

    def __init__(self, text):
        super().__init__()
        self.links, self.tables = [], []
        self._href, self._text, self._depth = None, [], 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'a' and 'href' in attrs:
            self._href, self._text = attrs['href'], []
        elif tag == 'table':
            if 'ansible-option-table' in (attrs.get('class') or '').split():
                self.tables.append([])
                self._depth = 1
            elif self._depth:
                self._depth += 1
        elif tag == 'div' and self._depth and 'ansibleOptionAnchor' in (attrs.get('class') or '').split():
            self.tables[-1].append(attrs.get('id'))

    def handle_endtag(self, tag):
        if tag == 'a' and self._href is not None:
            self.links.append((self._href, ' '.join(''.join(self._text).split())))
            self._href = None
        elif tag == 'table' and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def link_to(self, suffix):
        """The texts of the links whose target ends in suffix."""
        return [text for href, text in self.links if href.split('#')[0].endswith(suffix)]


def documented_options(module):
    """The top-level option names of a module's DOCUMENTATION."""
    with open(os.path.join(build_site.REPO, 'plugins', 'modules', module + '.py')) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == 'DOCUMENTATION' for t in node.targets):
            return set(yaml.safe_load(node.value.value)['options'])
    raise AssertionError('%s has no DOCUMENTATION' % module)


def test_guides_are_current():
    """docs/docsite/rst is what the Markdown guides convert to now."""
    stale = build_site.write_guides(check=True)
    assert not stale, 'out of date (run make docs-site): %s' % ', '.join('docs/docsite/rst/' + s for s in stale)


def test_every_guide_is_in_the_site_index():
    """Each docs/*.md guide is an entry of docs/docsite/extra-docs.yml, once."""
    refs = build_site.extra_docs_refs()
    assert sorted(refs) == sorted(build_site.guides())


def test_lint_collection_docs():
    """antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs finds nothing."""
    code, output = build_site.lint()
    assert code == 0, output


def test_collection_index_in_browser(html):
    """The collection's page lists every module, role and guide; its screenshot is kept."""
    path = os.path.join(html, 'collections', 'vfio', 'passthrough', 'index.html')
    page = Page(dom(path))
    assert MODULES <= set(build_site.modules()) and ROLES <= set(build_site.roles())
    for module in build_site.modules():
        assert any(module + ' module' in text for text in page.link_to(module + '_module.html')), \
            'no link to the %s module' % module
    for role in build_site.roles():
        assert any(role + ' role' in text for text in page.link_to(role + '_role.html')), 'no link to role %s' % role
    for guide in build_site.guides():
        assert page.link_to('docsite/%s.html' % guide), 'no link to the guide %s' % guide
    height = 2000
    assert_rendered(screenshot(path, 'collection-index', height), height)


def test_module_page_in_browser(html):
    """The mdev module's page has its options table with every option; its screenshot is kept."""
    path = os.path.join(html, 'collections', 'vfio', 'passthrough', 'mdev_module.html')
    page = Page(dom(path))
    assert page.tables, 'no option table on the mdev page'
    parameters = {anchor[len('parameter-'):] for anchor in page.tables[0] if anchor.startswith('parameter-')}
    top_level = {name for name in parameters if '/' not in name}
    assert {'uuid', 'parent', 'type', 'attrs', 'state', 'devices'} <= top_level
    assert documented_options('mdev') <= top_level
    assert 'devices/uuid' in parameters  # suboptions are rows of the same table
    height = 2600
    assert_rendered(screenshot(path, 'mdev-module', height), height)


def test_every_plugin_page_is_built(html):
    """Every module's and role's page, and every guide's, is in the built site."""
    base = os.path.join(html, 'collections', 'vfio', 'passthrough')
    for module in build_site.modules():
        with open(os.path.join(base, module + '_module.html')) as f:
            text = f.read()
        for option in documented_options(module):
            assert 'id="parameter-%s"' % option in text, '%s: option %s is not on its page' % (module, option)
    for role in build_site.roles():
        assert os.path.exists(os.path.join(base, role + '_role.html'))
    for guide in build_site.guides():
        assert os.path.exists(os.path.join(base, 'docsite', guide + '.html'))
