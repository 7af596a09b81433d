# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""grubby (Fedora, RHEL, CentOS, SUSE's grubby where installed): every boot entry's arguments, read and changed.

``grubby --info=ALL`` lists the entries (``index=``, ``kernel="..."``, ``args="..."``). Each entry's
arguments are judged as any command line is (cmdline.edit); when every entry needs the same change,
one ``grubby --update-kernel=ALL`` makes it, else one call per group of entries that need the same.
Arguments to replace are named in ``--remove-args`` with their value, so that every grubby release
removes exactly them. Undoing a call removes what it added and adds back what it removed.
"""

from collections import OrderedDict

from . import cmdline as _cmdline
from .programs import Command


def parse_info(text):
    """``[(kernel, args)]`` of ``grubby --info=ALL``'s output, in its order."""
    out, entry = [], None
    for line in (text or '').splitlines():
        key, sep, value = line.partition('=')
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
        if key == 'index':
            entry = {}
            out.append(entry)
        elif entry is not None and key in ('kernel', 'args'):
            entry[key] = value
    return [(e['kernel'], e.get('args', '')) for e in out if e.get('kernel')]


def entries(host, grubby):
    """``[(kernel, args)]`` of every boot entry grubby knows (it runs ``grubby --info=ALL``, which only reads)."""
    return parse_info(Command(host, [grubby, '--info=ALL']).run())


class Call(object):
    """One grubby call: the entries it changes (``ALL`` or one kernel), the arguments removed and added."""

    def __init__(self, host, grubby, kernel, removed, added):
        self.kernel = kernel
        self.removed = list(removed)
        self.added = list(added)
        self.command = self._command(host, grubby, kernel, self.removed, self.added)
        self.reverse = self._command(host, grubby, kernel, self.added, self.removed)

    @staticmethod
    def _command(host, grubby, kernel, removed, added):
        argv = [grubby, '--update-kernel=%s' % kernel]
        if removed:
            argv.append('--remove-args=%s' % ' '.join(removed))
        if added:
            argv.append('--args=%s' % ' '.join(added))
        return Command(host, argv)


def plan_calls(host, grubby, found, asked):
    """``(calls, after)``: the grubby calls that give every entry of ``found`` the arguments of ``asked``, and
    each entry's arguments after them ({kernel: args})."""
    groups = OrderedDict()
    after = OrderedDict()
    for kernel, args in found:
        result = _cmdline.edit([args], asked)
        after[kernel] = result.pieces[0]
        if result.changed:
            groups.setdefault((tuple(result.removed), tuple(result.added)), []).append(kernel)
    if len(groups) == 1 and sum(len(k) for k in groups.values()) == len(found):
        (removed, added), = groups.keys()
        return [Call(host, grubby, 'ALL', removed, added)], after
    calls = [Call(host, grubby, kernel, removed, added) for (removed, added), kernels in groups.items()
             for kernel in kernels]
    return calls, after
