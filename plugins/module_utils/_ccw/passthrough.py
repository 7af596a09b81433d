# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ccw devices to guests in one run: freed from cio_ignore, their subchannels bound to vfio_ccw,
one vfio_ccw-io mdev started on each (what the vfio_ccw role does, in one module process).

Each step is planned after the one before it is applied (``_core/runner.run_steps``): the
subchannel of a device is known only once the device is free, and a subchannel offers the
vfio_ccw-io type only once vfio_ccw is bound.
"""

from collections import OrderedDict

from .._core import names as _names
from .._core.errors import InvalidArgument, NotFound
from .._mdev.plan import plan_mdevs
from .._mdev.request import MdevRequest
from .._overrides.plan import OverrideRequest, plan_overrides
from .cio_ignore import plan_cio_ignore

CCW_TYPE = 'vfio_ccw-io'


class CcwDevice(object):
    """One device number to pass through, and the uuid its mdev should have (None: found or generated)."""

    def __init__(self, device, uuid=None):
        self.device = _names.ccw_busid(device, field='devices')
        self.uuid = _names.uuid(uuid) if uuid is not None else None


def ccw_devices(entries):
    """CcwDevices from the task's entries (a device number, or ``{device, uuid}``); a device given twice is refused."""
    out = [_entry(index, e) for index, e in enumerate(entries)]
    seen = set()
    for d in out:
        if d.device in seen:
            raise InvalidArgument('device %s is given twice' % d.device, value=d.device, field='devices',
                                  device=d.device)
        seen.add(d.device)
    return out


def _entry(index, entry):
    """One entry of ``devices`` as a CcwDevice; anything else than a device number or ``{device, uuid}`` is refused."""
    if not isinstance(entry, dict):
        return CcwDevice(entry)
    if 'device' not in entry or set(entry) - set(('device', 'uuid')):
        raise InvalidArgument('devices[%d] must be a device number or a mapping with device and (optionally) uuid, '
                              'got %r' % (index, entry), field='devices', value=repr(entry)[:200])
    return CcwDevice(entry['device'], entry.get('uuid'))


def ccw_steps(devices, autostart=True, persistent=True):
    """The steps of ``run_steps``: ``cio_ignore``, ``overrides``, ``mdevs``."""
    def free(host, locks, reports, predicting):
        return plan_cio_ignore(host, [d.device for d in devices], 'absent', persistent)

    def bind(host, locks, reports, predicting):
        if predicting and None in reports['cio_ignore']['subchannels'].values():
            return None  # check mode: a device still on the cio_ignore list has no subchannel to look at yet
        subchannels = _subchannels(devices, reports)
        return plan_overrides(host, [OverrideRequest('css', subchannels[d.device], 'vfio_ccw', persistent=persistent)
                                     for d in devices], locks)

    def start(host, locks, reports, predicting):
        if predicting and (reports['overrides'] is None or reports['overrides']['changed']):
            return None  # check mode: a subchannel not yet on vfio_ccw offers no mdev type
        subchannels = _subchannels(devices, reports)
        return plan_mdevs(host, [MdevRequest(uuid=d.uuid, parent=subchannels[d.device], mdev_type=CCW_TYPE,
                                             autostart='auto' if autostart else 'manual', persistent=persistent)
                                 for d in devices], locks=locks)

    return [('cio_ignore', free), ('overrides', bind), ('mdevs', start)]


def _subchannels(devices, reports):
    """``{device: subchannel}`` from the cio_ignore step's report; NotFound names a device without one."""
    subchannels = reports['cio_ignore']['subchannels']
    for d in devices:
        if subchannels.get(d.device) is None:
            raise NotFound('ccw device %s has no subchannel (is it defined in the I/O configuration?)' % d.device,
                           device=d.device)
    return subchannels


def ccw_result(devices, reports):
    """Each device with its subchannel and its mdev's uuid (None where check mode cannot tell yet)."""
    subchannels = (reports.get('cio_ignore') or {}).get('subchannels') or {}
    mdevs = (reports.get('mdevs') or {}).get('devices') or []
    uuids = dict((m['parent'], m['uuid']) for m in mdevs)
    return [OrderedDict([('device', d.device), ('subchannel', subchannels.get(d.device)),
                         ('uuid', uuids.get(subchannels.get(d.device)))]) for d in devices]
