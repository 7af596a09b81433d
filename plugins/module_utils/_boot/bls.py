# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Boot Loader Specification entries (``/boot/loader/entries/*.conf``) and kernel-install's ``/etc/kernel/cmdline``.

An entry's command line is its ``options`` lines, joined (the specification allows several). New
arguments go to the last one; an entry without one gets one. ``/etc/kernel/cmdline`` is one command
line (its lines joined) that kernel-install gives the entries of kernels installed later.
"""

import os
import re

from .._core.host import BLS_ENTRY_DIRS
from . import cmdline as _cmdline

_OPTIONS = re.compile(r'^([ \t]*options)(?:([ \t]+)(.*))?$')


def entries(host):
    """The entry files (``*.conf``, regular files) of every BLS directory that exists here, in order."""
    out = []
    for parts in BLS_ENTRY_DIRS:
        directory = host.path(*parts)
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        out += [os.path.join(directory, n) for n in names if n.endswith('.conf')
                and os.path.isfile(os.path.join(directory, n)) and not os.path.islink(os.path.join(directory, n))]
    return out


def edit_entry(text, asked):
    """``(new text, cmdline.Edit)`` of an entry given the arguments of ``asked`` (cmdline.Wanted)."""
    lines = text.splitlines(True)
    found = []  # (line index, prefix, args, line end)
    for i, line in enumerate(lines):
        body = line.rstrip('\r\n')
        m = _OPTIONS.match(body)
        if m:
            found.append((i, m.group(1) + (m.group(2) or ' '), m.group(3) or '', line[len(body):]))
    result = _cmdline.edit([f[2] for f in found] or [''], asked, add_to=max(len(found) - 1, 0))
    if not result.changed:
        return text, result
    if not found:
        end = '' if not text or text.endswith('\n') else '\n'
        return text + end + 'options %s\n' % result.pieces[0], result
    for (i, prefix, _args, eol), new in zip(found, result.pieces):
        lines[i] = prefix + new + eol
    return ''.join(lines), result


def edit_cmdline_file(text, asked):
    """``(new text, cmdline.Edit)`` of /etc/kernel/cmdline given the arguments of ``asked``."""
    result = _cmdline.edit([text], asked)
    return result.pieces[0], result
