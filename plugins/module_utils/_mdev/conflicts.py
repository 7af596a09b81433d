# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A view of the whole system: conflicts between mediated devices, found before anything starts.

``find_conflicts`` is a pure function of a ``System`` (every device, the AP masks and limits,
the instances left) and an optional proposed change; it reads nothing. Its cost is linear in
the number of APQNs the devices claim. ``read_system`` builds the System from a host;
``check_host`` adds the definitions validation could not read.
"""

from collections import Counter, OrderedDict

from .._ap.masks import APBus, apqn_list
from .._ap.matrix import KINDS, is_ap, read_matrix, wanted_matrix
from .._ap.rule import boot_masks
from .._core.names import queue_name
from .._sysfs.readpass import ReadPass
from . import sysfs as _mdev
from .config import ConfigStore


class DeviceView(object):
    """What validation needs of one mdev: identity, whether it may run, and what it claims."""

    __slots__ = ('uuid', 'parent', 'mdev_type', 'active', 'autostart', 'matrix')

    def __init__(self, uuid, parent, mdev_type, active=False, autostart=False, matrix=None):
        self.uuid = uuid
        self.parent = parent
        self.mdev_type = mdev_type
        self.active = active
        self.autostart = autostart
        self.matrix = matrix

    @property
    def may_run(self):
        """Running now, or started at boot: such devices can run at the same time."""
        return self.active or self.autostart

    def label(self):
        """``uuid (active)`` / ``uuid (autostart)`` / ``uuid (defined)`` for messages."""
        return '%s (%s)' % (self.uuid, 'active' if self.active else 'autostart' if self.autostart else 'defined')


def key_of(view):
    """A device's key: its parent and uuid (mdevctl lets one uuid be defined under several parents)."""
    return (view.parent, view.uuid)


class System(object):
    """Everything validation looks at; plain data, so tests and benchmarks can build it directly.

    ``devices`` are keyed by ``(parent, uuid)``.
    """

    def __init__(self, devices, host_adapters=None, host_domains=None, max_adapter=255, max_domain=255,
                 capacity=None, boot_masks=None):
        self.devices = OrderedDict((key_of(d), d) for d in devices)
        self.host_adapters = host_adapters if host_adapters is not None else set()
        self.host_domains = host_domains if host_domains is not None else set()
        self.max_adapter = max_adapter
        self.max_domain = max_domain
        self.capacity = capacity or {}
        self.boot_masks = boot_masks  # (adapters, domains, source) the host keeps at boot; None: no AP bus

    def keys(self, proposed):
        """``proposed`` keyed by ``(parent, uuid)``: a bare uuid stands for its view's key, or (removing)
        for every device with that uuid."""
        out = OrderedDict()
        for key, view in proposed.items():
            if isinstance(key, tuple):
                out[key] = view
            elif view is not None:
                out[key_of(view)] = view
            else:
                for have in self.devices:
                    if have[1] == key:
                        out[have] = None
        return out

    def with_changes(self, proposed):
        """A copy in which ``proposed`` devices replace (or join) the current ones; None removes."""
        devices = OrderedDict(self.devices)
        for key, view in self.keys(proposed).items():
            if view is None:
                devices.pop(key, None)
            else:
                devices[key] = view
        return System(devices.values(), self.host_adapters, self.host_domains, self.max_adapter,
                      self.max_domain, self.capacity, self.boot_masks)


def _conflict(kind, msg, devices, **extra):
    """A finding about DeviceViews; ``_keys`` (their keys) is dropped before it is reported."""
    out = OrderedDict([('kind', kind), ('msg', msg), ('devices', sorted(d.uuid for d in devices))])
    out.update(extra)
    out['_keys'] = sorted(key_of(d) for d in devices)
    return out


def _ap_conflicts(system, concerned):
    """APQN-level findings: shared APQNs, host-owned APQNs, ids above the maximum, lone control domains."""
    found = []
    owner = {}
    limits = {'adapter': system.max_adapter, 'domain': system.max_domain, 'control_domain': system.max_domain}
    for dev in system.devices.values():
        if dev.matrix is None or not (dev.may_run or key_of(dev) in concerned):
            continue
        m = dev.matrix
        for kind in KINDS:
            over = sorted(i for i in m[kind] if i > limits[kind])
            if over:
                found.append(_conflict('above_maximum', '%s %s of mdev %s is above the host\'s maximum (%d)' % (
                    kind.replace('_', ' '), ', '.join('%#x' % i for i in over), dev.uuid, limits[kind]), [dev]))
        if m['control_domain'] and not m['domain']:
            found.append(_conflict('control_without_usage', 'mdev %s has control domains (%s) but no usage domain' % (
                dev.uuid, ', '.join('%#x' % i for i in sorted(m['control_domain']))), [dev]))
        host_adapters = m['adapter'] & system.host_adapters
        host_domains = m['domain'] & system.host_domains
        if host_adapters and host_domains:
            apqns = [queue_name(a, d) for a in sorted(host_adapters) for d in sorted(host_domains)]
            found.append(_conflict('reserved_for_host', 'mdev %s claims APQN %s, reserved for the host by '
                                   '/sys/bus/ap/apmask and aqmask (not free for vfio_ap)' % (dev.uuid, apqn_list(apqns)),
                                   [dev], apqns=apqns))
        if dev.autostart and system.boot_masks is not None:
            found.extend(_boot_conflict(dev, system.boot_masks))
        if not dev.may_run:
            continue  # a device that cannot run shares nothing with anyone
        for a in m['adapter']:
            for d in m['domain']:
                other = owner.setdefault((a, d), dev)
                if other is not dev:
                    found.append(_conflict('apqn_in_use', 'APQN %s is assigned to both mdev %s and mdev %s, '
                                           'which can run at the same time' % (queue_name(a, d), other.label(),
                                                                               dev.label()),
                                           [other, dev], apqns=[queue_name(a, d)]))
    return found


def _boot_conflict(dev, boot_masks):
    """An autostart device whose APQNs the host keeps at boot: ap-check would refuse it then."""
    adapters, domains, source = boot_masks
    m = dev.matrix
    apqns = [queue_name(a, d) for a in sorted(m['adapter'] & adapters) for d in sorted(m['domain'] & domains)]
    if not apqns:
        return []
    where = ('the masks %s sets at boot' % source if source else
             'the kernel\'s default masks at boot (no persistent masks are set)')
    return [_conflict('not_reserved_at_boot', 'mdev %s starts at boot (autostart) but APQN %s stay with the host by '
                      '%s; reserve them for vfio_ap with vfio.passthrough.ap_masks persistent=true, or make the '
                      'device manual' % (dev.uuid, apqn_list(apqns), where), [dev], apqns=apqns)]


def _instance_conflicts(system):
    """More devices of a type that may run than the parent can hold (a second vfio_ccw device on a subchannel)."""
    found = []
    groups = OrderedDict()
    for dev in system.devices.values():
        if dev.may_run:
            groups.setdefault((dev.parent, dev.mdev_type), []).append(dev)
    for key, devs in groups.items():
        capacity = system.capacity.get(key)
        if capacity is not None and len(devs) > capacity:
            found.append(_conflict('no_instances', '%d mdevs of type %s on parent %s can run (%s) but the parent holds '
                                   '%d' % (len(devs), key[1], key[0], ', '.join(d.label() for d in devs), capacity),
                                   devs))
    return found


def _merge_apqn_conflicts(found):
    """One finding per pair of devices, listing their shared APQNs, instead of one per APQN."""
    merged = OrderedDict()
    rest = []
    for c in found:
        if c['kind'] != 'apqn_in_use':
            rest.append(c)
            continue
        key = tuple(c['_keys'])
        if key in merged:
            merged[key]['apqns'] += c['apqns']
        else:
            merged[key] = c
    for c in merged.values():
        if len(c['apqns']) > 1:
            head = c['msg'].split(' is assigned to ', 1)[1]
            c['msg'] = 'APQNs %s are assigned to %s' % (apqn_list(c['apqns']), head)
    return list(merged.values()) + rest


def find_conflicts(system, proposed=None):
    """Every conflict of ``system`` after ``proposed`` ({uuid: DeviceView or None}).

    With a proposal, only conflicts that involve a proposed device are returned: what was
    already wrong elsewhere does not block an unrelated change.
    """
    proposed = system.keys(proposed) if proposed else None
    concerned = set(proposed or ())
    target = system.with_changes(proposed) if proposed else system
    found = _merge_apqn_conflicts(_ap_conflicts(target, concerned)) + _instance_conflicts(target)
    if proposed:
        found = [c for c in found if concerned.intersection(c['_keys'])]
    for c in found:
        del c['_keys']
    return found


def view_of(uuid, parent, mdev_type, active, autostart, attrs, host=None, dirs=None):
    """A DeviceView; a running vfio_ap device's matrix is read from sysfs, otherwise from its attrs."""
    matrix = None
    if is_ap(mdev_type):
        matrix = read_matrix(host, uuid, dirs) if active and host is not None else None
        if matrix is None:
            matrix = wanted_matrix(attrs or [])
    return DeviceView(uuid, parent, mdev_type, active, autostart, matrix)


def read_system(host, store=None, active=None, dirs=None):
    """The System of a host: every defined and active mdev, the masks, limits and capacities."""
    if dirs is None:
        with ReadPass() as own:
            return read_system(host, store, active, own)
    store = store or ConfigStore(host)
    defined = store.definitions()
    active = _mdev.running(host, dirs) if active is None else active
    views = []
    for parent, uuid in sorted(set(defined) | set((p, u) for u, (p, _t) in active.items())):
        d = defined.get((parent, uuid))
        act = active.get(uuid)
        act = act if act and act[0] == parent else None
        mtype = act[1] if act else d.mdev_type
        views.append(view_of(uuid, parent, mtype, act is not None, bool(d and d.start == 'auto'),
                             d.attrs if d else [], host, dirs))
    bus = APBus(host)
    host_adapters, host_domains, max_a, max_d, boot = set(), set(), 255, 255, None
    if bus.exists:
        host_adapters, host_domains = bus.masks()
        max_a, max_d = bus.max_ids()
        boot = boot_masks(host)
    capacity = {}
    running = Counter(tuple(v) for v in active.values())
    for name in _mdev.parent_names(host):
        for mtype in _mdev.Parent(host, name).types():
            left = mtype.available()
            if left is not None:
                capacity[(name, mtype.id)] = left + running[(name, mtype.id)]
    return System(views, host_adapters, host_domains, max_a, max_d, capacity, boot)


def check_host(host):
    """The whole host checked: ``(system, conflicts, unknown)``.

    ``unknown`` lists the definition files that cannot be read (the ConfigStore's problems):
    mdevctl may still read and autostart what they define, so validation cannot vouch for them.
    """
    store = ConfigStore(host)
    system = read_system(host, store)
    return system, find_conflicts(system), list(store.problems)
