# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/proc/cio_ignore``: the device numbers the channel subsystem ignores, and freeing them."""

import os
import re
from collections import OrderedDict

from .._core import fileio as _fileio
from .._core import names as _names
from .._core import services
from .._core.errors import InvalidArgument, NotFound
from .._core.host import CHZDEV_CIO_IGNORE_RULE, CIO_IGNORE, CIO_IGNORE_RULE, CIO_SETTLE
from .._core.plan import Change, Plan
from .._sysfs import attr as _attr
from . import boot as _boot
from .subchannels import subchannel_of

_ITEM = re.compile(r'^0\.([0-3])\.([0-9a-f]{4})(?:-0\.([0-3])\.([0-9a-f]{4}))?$')


def ignored_ranges(host):
    """``/proc/cio_ignore`` as a list of ((ssid, first), (ssid, last)) ranges."""
    text = _attr.read(host.path(*CIO_IGNORE), '') or ''
    out = []
    for line in text.split():
        m = _ITEM.match(line)
        if m:
            first = (int(m.group(1)), int(m.group(2), 16))
            last = (int(m.group(3)), int(m.group(4), 16)) if m.group(3) else first
            out.append((first, last))
    return out


def _key(busid):
    _c, ssid, devno = busid.split('.')
    return int(ssid, 16), int(devno, 16)


def is_ignored(ranges, busid):
    """True if ``busid`` lies in one of the ignored ranges."""
    key = _key(busid)
    return any(first <= key <= last for first, last in ranges)


def plan_cio_ignore(host, devices, state, persistent=True):
    """Free devices from (``absent``) or add them to (``present``) the cio_ignore list, and with
    ``persistent`` at boot too (the collection's udev rule)."""
    if state not in ('present', 'absent'):
        raise InvalidArgument('state must be present or absent, not %r' % (state,), field='state')
    path = host.path(*CIO_IGNORE)
    if not os.path.exists(path):
        raise NotFound('this host has no %s (not an s390 host?)' % host.display(path), path=host.display(path))
    busids = [_names.ccw_busid(d, field='devices') for d in devices]
    plan = CioIgnorePlan(host)
    if persistent:
        plan.add_boot(busids, state)
    plan.add(runtime_change(host, busids, state))
    kept = [b for b in busids if state == 'present' and subchannel_of(host, b) is not None]
    if kept:  # the list stops new registrations only
        plan.warnings.append('the kernel keeps the subchannel of %s until the next IPL: cio_ignore only hides devices '
                             'that are not registered yet' % ', '.join(kept))
    return plan


def runtime_change(host, busids, state):
    """The write to ``/proc/cio_ignore`` (and the wait for the rescan) that the list needs now."""
    path = host.path(*CIO_IGNORE)
    ranges = ignored_ranges(host)
    todo = [b for b in busids if is_ignored(ranges, b) != (state == 'present')]
    command = '%s %s' % ('add' if state == 'present' else 'free', ','.join(todo))

    def apply():
        _attr.write(path, command, device='cio_ignore', display=host.display(path))
        settle = host.path(*CIO_SETTLE)
        if state == 'absent' and os.path.exists(settle):
            _attr.write(settle, '1', device='cio_settle', display=host.display(settle))  # wait for the rescan
        missing = [b for b in todo if state == 'absent' and subchannel_of(host, b) is None]
        if missing:
            undo()  # this change puts back what it did: the plan undoes only the changes before it
            raise NotFound('freed %s from cio_ignore, but no subchannel has appeared for %s (is the device '
                           'defined in the I/O configuration?); the cio_ignore list was put back'
                           % (', '.join(todo), ', '.join(missing)),
                           value=', '.join(missing))

    def undo():
        reverse = 'free' if state == 'present' else 'add'
        _attr.write(path, '%s %s' % (reverse, ','.join(todo)), device='cio_ignore', display=host.display(path))

    before = OrderedDict((b, 'ignored' if is_ignored(ranges, b) else 'free') for b in busids)
    after = OrderedDict((b, 'ignored' if state == 'present' else 'free') for b in busids)
    return Change('cio_ignore', before, after, ['write "%s" to %s' % (command, host.display(path))] if todo else [],
                  apply, undo)


class CioIgnorePlan(Plan):
    """The cio_ignore list now and, when persistent, the devices the collection frees at boot."""

    def __init__(self, host):
        super(CioIgnorePlan, self).__init__()
        self.host = host
        self.boot_before = self.boot_after = None

    def add_boot(self, busids, state):
        """Add the changes that make the boot-time list free (or stop freeing) ``busids``."""
        rule_path = self.host.path(*CIO_IGNORE_RULE)
        text, freed = _boot.persisted(self.host)
        after = [b for b in freed if not (state == 'present' and b in busids)]
        after += [b for b in busids if state == 'absent' and b not in after]
        self.boot_before, self.boot_after = freed, after
        if state == 'present':
            by_chzdev = [b for b in busids if b in _boot.freed_by_chzdev(self.host)]
            if by_chzdev:
                self.warnings.append('chzdev\'s %s frees %s at boot too; remove it there (chzdev --remove ... '
                                     '--persistent) for the device to stay ignored after the next IPL'
                                     % (self.host.display(self.host.path(*CHZDEV_CIO_IGNORE_RULE)),
                                        ', '.join(by_chzdev)))
        if after:  # the program the rule runs, put back also when the list stays the same
            install = _boot.boot_files(self.host).change()
            if install:
                self.add(install)
        if after == freed:
            return
        new_text = _boot.rule_text(after)

        def put(content):
            if content is None:
                _fileio.remove(rule_path, self.host.display(rule_path))
            else:
                _fileio.write_atomic(rule_path, content, 0o644, self.host.display(rule_path), self.host.tools)
            services.reload_udev(self.host)

        action = ('free %s at boot in %s' % (', '.join(after), self.host.display(rule_path)) if after
                  else 'remove %s' % self.host.display(rule_path))
        self.add(Change('cio_ignore at boot', OrderedDict([('freed_at_boot', ', '.join(freed) or None)]),
                        OrderedDict([('freed_at_boot', ', '.join(after) or None)]), [action],
                        lambda: put(new_text), lambda: put(text), entry=False))

    def report(self, applied):
        """The actions, each device as ``ignored`` or ``free`` after the change, its subchannel, and what is freed
        at boot."""
        runtime = self.changes[-1]
        return {'actions': [a for c in self.changes for a in c.actions], 'devices': dict(runtime.after),
                'subchannels': OrderedDict((b, subchannel_of(self.host, b)) for b in runtime.after),
                'freed_at_boot': self.boot_after if self.boot_after is not None else _boot.persisted(self.host)[1]}
