# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ccw devices and their subchannels, and ``/proc/cio_ignore``.

Users know a DASD by its device number (``0.0.2b09``); vfio-ccw works on the subchannel, whose
id is not stable across IPLs. A device number is resolved through its ccw device (a child of
the subchannel while io_subchannel drives it) or, once the subchannel is bound to vfio_ccw and
the ccw device is gone, through the subchannels' ``dev_busid``.
"""

import os
import re
from collections import OrderedDict

from . import _attr, _names
from ._device import Bus
from ._errors import InvalidArgument, NotFound
from ._plan import Change, Plan

_ITEM = re.compile(r'^0\.([0-3])\.([0-9a-f]{4})(?:-0\.([0-3])\.([0-9a-f]{4}))?$')


def ignored_ranges(host):
    """``/proc/cio_ignore`` as a list of ((ssid, first), (ssid, last)) ranges."""
    text = _attr.read(host.proc('cio_ignore'), '') or ''
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


def subchannel_of(host, busid):
    """The subchannel of a device number, or None (not present, or hidden by cio_ignore)."""
    link = host.bus('ccw', 'devices', busid)
    if os.path.exists(link):
        return os.path.basename(os.path.dirname(os.path.realpath(link)))
    css = Bus(host, 'css')
    for name in css.device_names():
        if css.device(name).attr('dev_busid') == busid:
            return name
    return None


def resolve(host, devices, ranges=None):
    """One entry per device number: subchannel, its driver, whether cio_ignore hides it."""
    ranges = ignored_ranges(host) if ranges is None else ranges
    out = []
    css = Bus(host, 'css')
    for raw in devices:
        busid = _names.ccw_busid(raw, field='devices')
        sch = subchannel_of(host, busid)
        dev = css.device(sch) if sch else None
        ccw = Bus(host, 'ccw').device(busid)
        out.append(OrderedDict([
            ('device', busid), ('subchannel', sch),
            ('subchannel_driver', dev.driver if dev else None),
            ('ccw_driver', ccw.driver if ccw.exists else None),
            ('online', ccw.attr('online') == '1' if ccw.exists else None),
            ('cutype', ccw.attr('cutype') if ccw.exists else None),
            ('devtype', ccw.attr('devtype') if ccw.exists else None),
            ('ignored', is_ignored(ranges, busid)),
        ]))
    return out


def plan_cio_ignore(host, devices, state):
    """Free devices from (``absent``) or add them to (``present``) the cio_ignore list."""
    if state not in ('present', 'absent'):
        raise InvalidArgument('state must be present or absent, not %r' % (state,), field='state')
    path = host.proc('cio_ignore')
    if not os.path.exists(path):
        raise NotFound('this host has no %s (not an s390 host?)' % host.display(path), path=host.display(path))
    ranges = ignored_ranges(host)
    busids = [_names.ccw_busid(d, field='devices') for d in devices]
    todo = [b for b in busids if is_ignored(ranges, b) != (state == 'present')]
    command = '%s %s' % ('add' if state == 'present' else 'free', ','.join(todo))
    plan = Plan()

    def apply():
        _attr.write(path, command, device='cio_ignore', display=host.display(path))
        settle = host.proc('cio_settle')
        if state == 'absent' and os.path.exists(settle):
            _attr.write(settle, '1', device='cio_settle', display=host.display(settle))  # wait for the rescan
        missing = [b for b in todo if state == 'absent' and subchannel_of(host, b) is None]
        if missing:
            undo()
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
