# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ccw_info reports: device numbers resolved to subchannels, drivers and cio_ignore state."""

from collections import OrderedDict

from .._core import names as _names
from .._sysfs.device import Bus
from .cio_ignore import ignored_ranges, is_ignored
from .subchannels import subchannel_of


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
