# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GRUB's ``/etc/default/grub``: the command line in GRUB_CMDLINE_LINUX, and the program that makes grub.cfg.

The file is a shell script that grub-mkconfig sources. The last assignment of a variable counts;
its value is read as the shell reads a word (single quotes, double quotes with their backslash
escapes, unquoted characters). grub-mkconfig puts GRUB_CMDLINE_LINUX on every entry and
GRUB_CMDLINE_LINUX_DEFAULT (Debian, Ubuntu) after it on the normal ones, so the two are edited as one
command line whose new arguments go to GRUB_CMDLINE_LINUX. Only the value of the assignment is
rewritten, in its own quotes where they can hold it; every other line and character stays.

A value the shell would expand (``$VAR``, backquotes) is not guessed at: the file is refused.
"""

import os
import re

from .._core.errors import ConfigError
from .._core.host import EFI_DIR, GRUB2_CFG, GRUB_CFG, GRUB_DEFAULT_DIR
from .._core import fileio as _fileio
from . import cmdline as _cmdline
from .programs import Command, find

LINUX = 'GRUB_CMDLINE_LINUX'
DEFAULT = 'GRUB_CMDLINE_LINUX_DEFAULT'
_ASSIGN = re.compile(r'^[ \t]*(?:export[ \t]+)?(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=', re.M)
_WORD_END = ' \t\n;&|<>()'
_UNQUOTED_OK = re.compile(r'^[A-Za-z0-9_.,:+@/%=-]+\Z')


class Assignment(object):
    """The last assignment of a variable: where its value is in the text, the value, how it was quoted."""

    def __init__(self, name, start, end, value, style):
        self.name = name
        self.start = start
        self.end = end
        self.value = value
        self.style = style


def _word(text, i, name, shown):
    """``(end, value, style, expands)`` of the shell word at ``text[i:]``."""
    parts, expands = [], False
    n = len(text)
    while i < n and text[i] not in _WORD_END:
        c = text[i]
        if c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise ConfigError('%s in %s has a single quote that is not closed; fix the file first' % (name, shown),
                                  path=shown, value=name)
            parts.append(('single', text[i + 1:j]))
            i = j + 1
        elif c == '"':
            j, chars = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == '\\' and j + 1 < n and text[j + 1] in '$`"\\\n':
                    if text[j + 1] != '\n':
                        chars.append(text[j + 1])
                    j += 2
                    continue
                expands = expands or text[j] in '$`'
                chars.append(text[j])
                j += 1
            if j >= n:
                raise ConfigError('%s in %s has a double quote that is not closed; fix the file first' % (name, shown),
                                  path=shown, value=name)
            parts.append(('double', ''.join(chars)))
            i = j + 1
        elif c == '\\':
            if i + 1 < n and text[i + 1] != '\n':
                parts.append(('plain', text[i + 1]))
            i += 2
        else:
            expands = expands or c in '$`'
            parts.append(('plain', c))
            i += 1
    kinds = set(k for k, _v in parts)
    style = parts[0][0] if len(parts) == 1 or (kinds == {'plain'}) else 'double'
    return min(i, n), ''.join(v for _k, v in parts), style, expands


def assignments(text, shown):
    """``{name: Assignment}``: the last assignment of GRUB_CMDLINE_LINUX and of GRUB_CMDLINE_LINUX_DEFAULT."""
    out, done = {}, 0
    for m in _ASSIGN.finditer(text):
        if m.start() < done:  # inside the quoted value of the assignment before
            continue
        name = m.group(1)
        end, value, style, expands = _word(text, m.end(), name, shown)
        done = end
        if expands:
            raise ConfigError('%s in %s is set with shell expansion (%s); the module does not guess what it expands '
                              'to: write its value out there, or set the arguments by hand'
                              % (name, shown, text[m.end():end]), path=shown, value=text[m.end():end])
        out[name] = Assignment(name, m.end(), end, value, style)
    return out


def quote(value, style):
    """``value`` as a shell word, in ``style`` (single, double, plain) where that can hold it, else double."""
    if style == 'plain' and _UNQUOTED_OK.match(value):
        return value
    if style == 'single' and "'" not in value:
        return "'%s'" % value
    return '"%s"' % re.sub(r'([\\"$`])', r'\\\1', value)


class GrubEdit(object):
    """The new text of /etc/default/grub, and what changed in each variable."""

    def __init__(self, text, changes):
        self.text = text
        self.changes = changes  # [(variable, removed, added)] of the variables that change

    @property
    def changed(self):
        """True if a variable changes."""
        return bool(self.changes)

    def describe(self):
        """``GRUB_CMDLINE_LINUX: +intel_iommu=on`` for each variable, for the actions."""
        return ', '.join(_cmdline.describe(removed, added, name) for name, removed, added in self.changes)


def edit(text, asked, shown):
    """Give the command line of /etc/default/grub (``text``) the arguments of ``asked`` (cmdline.Wanted)."""
    found = assignments(text, shown)
    names = (LINUX, DEFAULT)
    pieces = [found[n].value if n in found else '' for n in names]
    result = _cmdline.edit(pieces, asked, add_to=0)
    changes = [(name, removed, added) for name, (removed, added) in zip(names, result.by_piece) if removed or added]
    out = text
    new = dict(zip(names, result.pieces))
    for name in sorted((n for n, _r, _a in changes if n in found), key=lambda n: -found[n].start):
        a = found[name]
        out = out[:a.start] + quote(new[name], a.style) + out[a.end:]
    for name in (n for n, _r, _a in changes if n not in found):
        out += ('' if not out or out.endswith('\n') else '\n') + '%s=%s\n' % (name, quote(new[name], 'double'))
    return GrubEdit(out, changes)


def overridden_in(host):
    """The files of /etc/default/grub.d that set GRUB_CMDLINE_LINUX again without keeping its value."""
    directory = host.path(*GRUB_DEFAULT_DIR)
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith('.cfg'))
    except OSError:
        return []
    out = []
    for name in names:
        path = os.path.join(directory, name)
        try:
            text = _fileio.read_text(path, host.display(path)) or ''
        except ConfigError:
            continue
        for m in _ASSIGN.finditer(text):
            line = text[m.start():text.find('\n', m.start()) if '\n' in text[m.start():] else len(text)]
            if m.group(1) == LINUX and '$GRUB_CMDLINE_LINUX' not in line and '${GRUB_CMDLINE_LINUX}' not in line:
                out.append(host.display(path))
                break
    return out


def mkconfig(host):
    """The command that makes grub.cfg from /etc/default/grub here, or None if there is no such program.

    update-grub (Debian, Ubuntu) where it exists; else grub2-mkconfig (Fedora, RHEL, SUSE) writing
    /boot/grub2/grub.cfg, or the EFI/<distribution>/grub.cfg of an EFI-only install where that is
    missing; else grub-mkconfig writing /boot/grub/grub.cfg.
    """
    tool = find(host, 'update-grub')
    if tool:
        return Command(host, [tool])
    tool = find(host, 'grub2-mkconfig')
    if tool:
        return Command(host, [tool, '-o', grub2_cfg(host)])
    tool = find(host, 'grub-mkconfig')
    if tool:
        return Command(host, [tool, '-o', host.path(*GRUB_CFG)])
    return None


def grub2_cfg(host):
    """/boot/grub2/grub.cfg where it (or /boot/grub2) exists, else the one of EFI/<distribution>/."""
    path = host.path(*GRUB2_CFG)
    if os.path.exists(path) or os.path.isdir(os.path.dirname(path)):
        return path
    efi = host.path(*EFI_DIR)
    try:
        found = sorted(d for d in os.listdir(efi) if os.path.isfile(os.path.join(efi, d, 'grub.cfg')))
    except OSError:
        found = []
    found = [d for d in found if d.upper() != 'BOOT'] or found  # EFI/BOOT is the fallback loader's
    return os.path.join(efi, found[0], 'grub.cfg') if found else path
