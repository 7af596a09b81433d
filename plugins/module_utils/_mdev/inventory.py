"""What mdevctl's ``list``, ``list -d`` and ``types`` show, merged: the read side of mdev_info.

Kept apart from the planner so that an info module loads only what it reads with.
"""

from collections import OrderedDict

from .._core import names as _names
from . import sysfs as _mdev
from .config import ConfigStore, attrs_json


def list_mdevs(host, uuid=None, parent=None, mdev_type=None):
    """What ``mdevctl list``, ``list -d`` and ``types`` show, merged per uuid, with filters.

    Returns ``(devices, types, problems)``: devices sorted by parent and uuid; types as
    ``{parent: {type: info}}``; problems lists definition files that cannot be read.
    """
    uuid = _names.uuid(uuid) if uuid is not None else None
    parent = _names.safe_name(parent, 'parent') if parent is not None else None
    mdev_type = _names.safe_name(mdev_type, 'type') if mdev_type is not None else None
    store = ConfigStore(host)
    defined = store.all()
    active = _mdev.running(host)
    devices = []
    for u in set(defined) | set(active):
        d = defined.get(u)
        act = active.get(u)
        p, t = (act[0], act[1]) if act else (d.parent, d.mdev_type)
        if (uuid and u != uuid) or (parent and p != parent) or (mdev_type and t != mdev_type):
            continue
        devices.append(OrderedDict([
            ('uuid', u), ('parent', p), ('mdev_type', t), ('start', d.start if d else None),
            ('attrs', attrs_json(d.attrs) if d else []), ('defined', d is not None), ('active', act is not None),
        ]))
    devices.sort(key=lambda e: (e['parent'], e['uuid']))
    types = OrderedDict()
    for name in _mdev.parent_names(host):
        if parent and name != parent:
            continue
        offered = OrderedDict((t.id, t.info()) for t in _mdev.Parent(host, name).types()
                              if not mdev_type or t.id == mdev_type)
        if offered:
            types[name] = offered
    return devices, types, store.problems


def summary_line(entry):
    """One line for a device, as mdevctl prints it: uuid parent type start (defined, active)."""
    state = ', '.join(w for w, on in (('defined', entry['defined']), ('active', entry['active'])) if on)
    attrs = ' %d attr%s' % (len(entry['attrs']), '' if len(entry['attrs']) == 1 else 's') if entry['attrs'] else ''
    return '%s %s %s %s (%s)%s' % (entry['uuid'], entry['parent'], entry['mdev_type'], entry['start'] or '-',
                                   state, attrs)
