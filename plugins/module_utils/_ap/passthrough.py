# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AP matrices to guests in one run: the adapters and domains to vfio_ap (the masks, persisted),
then one vfio_ap-passthrough mdev per matrix, then the whole host checked (what the vfio_ap role
does, in one module process)."""

from collections import OrderedDict

from .._core.errors import InvalidArgument
from .._mdev.conflicts import check_host
from .._mdev.plan import plan_mdevs
from .._mdev.request import MdevRequest
from .plan import MaskRequest, plan_masks

AP_PARENT = 'matrix'
AP_TYPE = 'vfio_ap-passthrough'
MATRIX_KEYS = ('adapters', 'domains', 'control_domains')


def matrix_requests(entries, live=False):
    """One MdevRequest per matrix entry (``uuid``, ``adapters``, ``domains``, ``control_domains``, ``autostart``)."""
    out = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InvalidArgument('devices[%d] must be a mapping with adapters, domains and control_domains, got %r'
                                  % (index, entry), field='devices', value=repr(entry)[:200])
        autostart = entry.get('autostart', True)
        out.append(MdevRequest(uuid=entry.get('uuid'), parent=AP_PARENT, mdev_type=AP_TYPE,
                               matrix=dict((k, entry.get(k) or []) for k in MATRIX_KEYS),
                               autostart='auto' if autostart else 'manual', live=live))
    return out


def ap_steps(entries, exclusive_masks=False, live=False):
    """The steps of ``run_steps``: ``masks`` and ``mdevs`` (none for no devices)."""
    requests = matrix_requests(entries, live)
    if not requests:
        return []
    adapters = _union(entries, 'adapters')
    domains = _union(entries, 'domains')

    def reserve(host, locks, reports, predicting):
        return plan_masks(host, MaskRequest(adapters, domains, exclusive=exclusive_masks), locks)

    def start(host, locks, reports, predicting):
        # predicting in check mode: the masks are not changed yet, so the whole-system check would
        # see the queues as the host's; the run checks it
        return plan_mdevs(host, requests, validate=not predicting, locks=locks)

    return [('masks', reserve), ('mdevs', start)]


def _union(entries, key):
    """The ids of ``key`` over every entry, each once, in order (as the entries give them)."""
    out = []
    for entry in entries:
        for value in entry.get(key) or []:
            if value not in out:
                out.append(value)
    return out


def ap_result(host, reports):
    """The devices, each step's report, and the whole host's check (``validation``)."""
    system, conflicts, unknown = check_host(host)
    mdevs = reports.get('mdevs') or {}
    return OrderedDict([
        ('devices', mdevs.get('devices') or []),
        ('validation', OrderedDict([('valid', not conflicts and not unknown), ('conflicts', conflicts),
                                    ('problems', unknown), ('devices_checked', len(system.devices))])),
        ('steps', reports),
    ])
