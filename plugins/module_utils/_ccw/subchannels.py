# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ccw devices and their subchannels.

Users know a DASD by its device number (``0.0.2b09``); vfio-ccw works on the subchannel, whose
id is not stable across IPLs. A device number is resolved through its ccw device (a child of
the subchannel while io_subchannel drives it) or, once the subchannel is bound to vfio_ccw and
the ccw device is gone, through the subchannels' ``dev_busid``.
"""

import os

from .._sysfs.device import Bus


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
