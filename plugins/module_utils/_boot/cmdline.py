# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel command lines: split as the kernel splits them, the arguments asked for, and editing in place.

A command line may be held in several pieces that the boot loader joins (GRUB_CMDLINE_LINUX and
GRUB_CMDLINE_LINUX_DEFAULT, the ``options`` lines of a boot entry): ``edit`` works on the pieces
together, as the kernel sees them, and changes only the arguments it must, leaving every other
character of each piece as it was.

The rules, the same for every place a command line is kept:

- An argument is present when the last argument of its key (``-`` and ``_`` alike, as the kernel
  compares parameter names) has the value asked for; nothing is changed then.
- Otherwise the arguments of that key with another value are removed and the argument is added
  at the end of the piece new arguments go to. Keys that take option lists (``intel_iommu``,
  ``amd_iommu``, ``iommu``) keep their other options: ``intel_iommu=igfx_off`` becomes
  ``intel_iommu=igfx_off,on``, ``intel_iommu=off`` becomes ``intel_iommu=on``.
- Nothing else is ever removed; the module never takes an argument away that it was not asked to
  replace.
"""

import re

from .._core.errors import InvalidArgument

_KEY = r'[A-Za-z0-9_][A-Za-z0-9_.-]*'
_PLAIN = r'[A-Za-z0-9_.,:+@/%=-]*'
_QUOTED = r'"[^"$`\\\x00-\x1f\x7f]*"'
_ARG = re.compile(r'^%s(?:=(?:%s|%s))?\Z' % (_KEY, _PLAIN, _QUOTED))

# keys whose value is a list of options: (the option asked for, the options that contradict it)
OPTION_LISTS = {'intel_iommu': ('on', ('off',)), 'amd_iommu': ('on', ('off',)), 'iommu': ('pt', ('off', 'nopt'))}


def spans(text):
    """``(start, end)`` of each argument of ``text``: white space separates them, except inside double quotes."""
    out = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        start, quoted = i, False
        while i < n and (quoted or not text[i].isspace()):
            if text[i] == '"':
                quoted = not quoted
            i += 1
        out.append((start, i))
    return out


def split(text):
    """The arguments of ``text``, as the kernel reads them (quotes kept)."""
    return [text[s:e] for s, e in spans(text or '')]


def key_value(arg):
    """``(key, value)`` of one argument, quotes removed; the key with ``_`` for ``-``; value None for a flag."""
    plain = arg.replace('"', '')
    key, sep, value = plain.partition('=')
    return key.replace('-', '_'), (value if sep else None)


def check_arg(arg, field='kernel_args'):
    """An argument the module may write: a key, and a value without spaces unless it is in double quotes.

    Refused is what a boot loader's script would expand or split (``$``, backquotes, single quotes,
    backslashes, ``;``), and control characters.
    """
    if not isinstance(arg, str) or not _ARG.match(arg):
        raise InvalidArgument('%s %r is not a kernel argument the module writes: a key (letters, digits, _ . -), and '
                              'optionally =value of letters, digits and _ . , : + @ / %% = - (or a value in double '
                              'quotes, which may hold spaces)' % (field, arg), value=str(arg), field=field)
    return arg


class Wanted(object):
    """One argument asked for, and how the arguments already there are judged against it."""

    def __init__(self, arg, field='kernel_args'):
        self.arg = check_arg(arg, field)
        self.key, self.value = key_value(arg)
        self.options = OPTION_LISTS.get(self.key) if self.value is not None else None

    def satisfied_by(self, arg):
        """True if ``arg`` (of the same key) gives what is asked for."""
        key, value = key_value(arg)
        if key != self.key:
            return False
        if self.options and value is not None and self.value == self.options[0]:
            items = value.split(',')
            return self.value in items and not any(x in items for x in self.options[1])
        return (key, value) == (self.key, self.value)

    def merged(self, last):
        """The argument to add in place of ``last`` (the last of the key, or None): its other options kept."""
        if last is None or not self.options or self.value != self.options[0]:
            return self.arg
        value = key_value(last)[1] or ''
        keep = [x for x in value.split(',') if x and x != self.value and x not in self.options[1]]
        return '%s=%s' % (self.arg.partition('=')[0], ','.join(keep + [self.value]))

    def __repr__(self):
        return 'Wanted(%r)' % self.arg


def wanted(args, field='kernel_args'):
    """``Wanted`` of each argument; two with the same key are refused (the second would undo the first)."""
    out, seen = [], {}
    for arg in args:
        w = Wanted(arg, field)
        if w.key in seen:
            raise InvalidArgument('%s sets %s twice (%s and %s); give each key once' % (field, w.key, seen[w.key], arg),
                                  value=arg, field=field)
        seen[w.key] = arg
        out.append(w)
    return out


def missing(text, asked):
    """The arguments of ``asked`` (Wanted) that the command line ``text`` does not give."""
    args = split(text)
    out = []
    for w in asked:
        same = [a for a in args if key_value(a)[0] == w.key]
        if not same or not w.satisfied_by(same[-1]):
            out.append(w.arg)
    return out


class Edit(object):
    """What ``edit`` changes: the new pieces, and the arguments removed and added, in all and per piece."""

    def __init__(self, pieces, removed, added, by_piece=None):
        self.pieces = pieces
        self.removed = removed
        self.added = added
        self.by_piece = by_piece or [(removed, added)]  # (removed, added) of each piece

    @property
    def changed(self):
        """True if anything is removed or added."""
        return bool(self.removed or self.added)


def edit(pieces, asked, add_to=0):
    """Give the command line made of ``pieces`` (joined by the boot loader) the arguments of ``asked``.

    Returns an ``Edit``: new arguments go at the end of ``pieces[add_to]``; every other character of
    every piece is kept.
    """
    found = [(i, s, e, piece[s:e]) for i, piece in enumerate(pieces) for s, e in spans(piece)]
    remove, added = [], []
    for w in asked:
        same = [t for t in found if key_value(t[3])[0] == w.key and t not in remove]
        if same and w.satisfied_by(same[-1][3]):
            continue
        remove += [t for t in same if not w.satisfied_by(t[3])]
        if not any(w.satisfied_by(t[3]) for t in same):
            added.append(w.merged(same[-1][3] if same else None))
    out = list(pieces)
    for i, s, e, _arg in sorted(remove, reverse=True):
        out[i] = _cut(out[i], s, e)
    if added:
        out[add_to] = append(out[add_to], added)
    by_piece = [([t[3] for t in sorted(remove) if t[0] == i], added if i == add_to else []) for i in range(len(pieces))]
    return Edit(out, [t[3] for t in sorted(remove)], added, by_piece)


def _cut(text, start, end):
    """``text`` without the argument at ``start:end`` and the blanks that separated it."""
    before = start
    while before > 0 and text[before - 1] in ' \t':
        before -= 1
    if before > 0 and text[before - 1] != '\n':  # an argument before it on the line: take the blanks before
        return text[:before] + text[end:]
    after = end
    while after < len(text) and text[after] in ' \t':
        after += 1
    return text[:start] + text[after:]


def append(text, args):
    """``text`` with ``args`` after its last argument (its trailing white space, a newline, kept)."""
    body = text.rstrip()
    tail = text[len(body):]
    joined = ' '.join(args)
    return (body + ' ' + joined if body else joined) + tail


def describe(removed, added, name=None):
    """``-intel_iommu=off +intel_iommu=on`` (after ``name: `` when given), for actions."""
    words = ['-' + a for a in removed] + ['+' + a for a in added]
    return ('%s: ' % name if name else '') + ' '.join(words)
