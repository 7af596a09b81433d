# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AP bus: ``/sys/bus/ap/apmask`` and ``aqmask``, and APQN arithmetic.

A mask is ``0x`` and 64 hex digits, bit 0 the leftmost: adapter (or domain) 0 is the most
significant bit. An APQN whose adapter bit is set in apmask and whose domain bit is set in
aqmask belongs to the host's default drivers; any other is free for vfio_ap.
"""

import re

from . import _attr
from ._errors import InvalidArgument

MASK_BITS = 256
_MASK = re.compile(r'^(?:0x)?([0-9a-fA-F]{1,64})$')


def parse_mask(text):
    """The set of ids whose bits are set in a mask such as ``0xfbff...``."""
    m = _MASK.match((text or '').strip())
    if not m:
        raise InvalidArgument('%r is not an AP mask (0x followed by up to 64 hex digits)' % (text,), value=text)
    value = int(m.group(1).ljust(64, '0'), 16)
    return set(i for i in range(MASK_BITS) if value >> (MASK_BITS - 1 - i) & 1)


def format_mask(ids):
    """The absolute mask text for a set of ids (what the kernel shows and accepts)."""
    value = 0
    for i in ids:
        if not 0 <= i < MASK_BITS:
            raise InvalidArgument('AP id %r is outside 0-255' % (i,), value=str(i))
        value |= 1 << (MASK_BITS - 1 - i)
    return '0x%064x' % value


def queue_name(adapter, domain):
    """The AP queue device name of an APQN, such as ``05.0004``."""
    return '%02x.%04x' % (adapter, domain)


class APBus(object):
    """``/sys/bus/ap``: masks and limits."""

    def __init__(self, host):
        self.host = host

    def path(self, *parts):
        """A path below /sys/bus/ap."""
        return self.host.bus('ap', *parts)

    @property
    def exists(self):
        """True if the host has an AP bus."""
        return _attr.read(self.path('apmask')) is not None

    def masks(self):
        """``(adapters, domains)`` the host keeps: the ids set in apmask and aqmask."""
        return parse_mask(_attr.read(self.path('apmask'))), parse_mask(_attr.read(self.path('aqmask')))

    def max_ids(self):
        """``(max adapter id, max domain id)`` the host supports."""
        return (int(_attr.read(self.path('ap_max_adapter_id'), '63')),
                int(_attr.read(self.path('ap_max_domain_id'), '255')))

    def host_owned(self, adapter, domain, masks=None):
        """True if apmask and aqmask give the APQN to the host's default drivers."""
        adapters, domains = masks or self.masks()
        return adapter in adapters and domain in domains
