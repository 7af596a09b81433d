# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/proc/cio_ignore``: the device numbers the channel subsystem ignores, and freeing them."""

import os
import re
from collections import OrderedDict

from .._core import names as _names
from .._core.errors import InvalidArgument, NotFound
from .._core.host import CIO_IGNORE, CIO_SETTLE
from .._core.plan import Change, Plan
from .._sysfs import attr as _attr
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


def plan_cio_ignore(host, devices, state):
    """Free devices from (``absent``) or add them to (``present``) the cio_ignore list."""
    if state not in ('present', 'absent'):
        raise InvalidArgument('state must be present or absent, not %r' % (state,), field='state')
    path = host.path(*CIO_IGNORE)
    if not os.path.exists(path):
        raise NotFound('this host has no %s (not an s390 host?)' % host.display(path), path=host.display(path))
    ranges = ignored_ranges(host)
    busids = [_names.ccw_busid(d, field='devices') for d in devices]
    todo = [b for b in busids if is_ignored(ranges, b) != (state == 'present')]
    command = '%s %s' % ('add' if state == 'present' else 'free', ','.join(todo))
    plan = CioIgnorePlan()

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
    plan.add(Change('cio_ignore', before, after, ['write "%s" to %s' % (command, host.display(path))] if todo else [],
                    apply, undo))
    return plan


class CioIgnorePlan(Plan):
    """The one change of the cio_ignore list."""

    def report(self, applied):
        """The actions, and each device as ``ignored`` or ``free`` after the change."""
        change = self.changes[0]
        return {'actions': change.actions, 'devices': dict(change.after)}
