# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AP bus: ``/sys/bus/ap/apmask`` and ``aqmask``, and APQN arithmetic.

A mask is ``0x`` and 64 hex digits, bit 0 the leftmost: adapter (or domain) 0 is the most
significant bit. An APQN whose adapter bit is set in apmask and whose domain bit is set in
aqmask belongs to the host's default drivers; any other is free for vfio_ap.
"""

import re

from .._core.errors import InvalidArgument
from .._sysfs import attr as _attr
from .._sysfs.device import Bus

MASK_BITS = 256  # ids 0-255: the width of apmask, aqmask and of every id the kernel accepts
MAX_ID = MASK_BITS - 1
ALL = frozenset(range(MASK_BITS))
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


def apqn_list(names, most=8):
    """Queue names for a message: the first ``most`` of them and how many more."""
    return ', '.join(names[:most]) + (' and %d more' % (len(names) - most) if len(names) > most else '')


def ids_text(ids):
    """Ids as compact ranges: ``0-4, 6, 16-255``."""
    out, run = [], []
    for i in sorted(ids) + [None]:
        if run and (i is None or i != run[-1] + 1):
            out.append('%d' % run[0] if len(run) == 1 else '%d-%d' % (run[0], run[-1]))
            run = []
        if i is not None:
            run.append(i)
    return ', '.join(out) or 'none'


class APBus(Bus):
    """``/sys/bus/ap``: its queues and drivers as any bus, and the masks and limits only it has."""

    def __init__(self, host):
        super(APBus, self).__init__(host, 'ap')

    @property
    def exists(self):
        """True if the host has an AP bus (one with masks)."""
        return _attr.read(self.path('apmask')) is not None

    def masks(self):
        """``(adapters, domains)`` the host keeps: the ids set in apmask and aqmask."""
        return parse_mask(_attr.read(self.path('apmask'))), parse_mask(_attr.read(self.path('aqmask')))

    def masks_at_default(self):
        """True while apmask and aqmask give every id to the host (the kernel's default)."""
        adapters, domains = self.masks()
        return len(adapters) == MASK_BITS and len(domains) == MASK_BITS

    def max_ids(self):
        """``(max adapter id, max domain id)`` the host supports."""
        texts = (_attr.read(self.path('ap_max_adapter_id'), '63'), _attr.read(self.path('ap_max_domain_id'), '255'))
        if not all(t.isdigit() for t in texts):
            raise InvalidArgument('cannot read the AP limits %r from %s' % (texts, self.host.display(self.path())),
                                  path=self.host.display(self.path()))
        return int(texts[0]), int(texts[1])

    def host_owned(self, adapter, domain, masks=None):
        """True if apmask and aqmask give the APQN to the host's default drivers."""
        adapters, domains = masks or self.masks()
        return adapter in adapters and domain in domains


def parse_ids(values, what, limit=MAX_ID):
    """Adapter or domain ids from a list of ints, ``'0x2a'`` strings and ``'a-b'`` ranges."""
    ids = set()
    for value in values or []:
        text = str(value).strip()
        lo, dash, hi = text.partition('-') if not text.startswith('-') else (text, '', '')
        try:
            first = int(lo, 0)
            last = int(hi, 0) if dash else first
        except ValueError:
            raise InvalidArgument('%s %r is not a number or range (such as 5, 0x2a or 4-7)' % (what, value),
                                  field=what, value=str(value))
        if not 0 <= first <= last <= limit:
            raise InvalidArgument('%s %r is outside 0-%d' % (what, value, limit), field=what, value=str(value))
        ids.update(range(first, last + 1))
    return ids


def apply_mask_text(current, text, what):
    """The ids a kernel-syntax mask write leaves set: absolute ``0x...`` or relative ``+n,-m,+a-b``."""
    text = (text or '').strip()
    if not text or text[0] not in '+-':
        return parse_mask(text)
    ids = set(current)
    for item in text.split(','):
        item = item.strip()
        if len(item) < 2 or item[0] not in '+-':
            raise InvalidArgument('%s %r: each item of a relative mask starts with + or -' % (what, text),
                                  field=what, value=text)
        changed = parse_ids([item[1:]], what)
        ids = ids | changed if item[0] == '+' else ids - changed
    return ids
