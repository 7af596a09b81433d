"""What mdevctl's ``list``, ``list -d`` and ``types`` show, merged: the read side of mdev_info.

Kept apart from the planner so that an info module loads only what it reads with.
"""

import os
from collections import OrderedDict

from .._core import names as _names
from .._core.errors import VfioError
from .._core.host import CALLOUT_DIRS
from .._sysfs.readpass import ReadPass
from . import sysfs as _mdev
from .active import running_attrs
from .config import ConfigStore, attrs_json

VIEWS = ('devices', 'lines', 'types')  # what mdev_info can report


def list_mdevs(host, uuid=None, parent=None, mdev_type=None, callouts=None):
    """``(devices, types, problems)`` of ``listing`` with the devices as reported."""
    devices, types, problems = listing(host, uuid, parent, mdev_type, callouts)
    return [public(e) for e in devices], types, problems


def report(host, uuid=None, parent=None, mdev_type=None, views=VIEWS):
    """mdev_info's result: the ``views`` asked for (of ``VIEWS``), then ``problems``.

    ``lines`` are ``summary``, ``list`` and ``list_defined``, mdevctl's own lines. Types are read
    only for ``types``, and what running devices run with (callout scripts, matrices) only for
    ``devices``. Every value of a result also costs exit_json time (its no_log scrub and encoding),
    so a host with a thousand devices answers faster with only what the task uses. With no view,
    only the problems are reported.
    """
    devices, types, problems = listing(host, uuid, parent, mdev_type, with_types='types' in views,
                                       with_attrs='devices' in views)
    result = {}
    if 'lines' in views:  # before public(), which drops what only the lines need
        result.update(summary=[summary_line(d) for d in devices], list=list_lines(devices),
                      list_defined=list_defined_lines(devices))
    if 'devices' in views:
        result['devices'] = [public(d) for d in devices]
    if 'types' in views:
        result['types'] = types
    result['problems'] = problems
    return result


def listing(host, uuid=None, parent=None, mdev_type=None, callouts=None, with_types=True, with_attrs=True):
    """What ``mdevctl list``, ``list -d`` and ``types`` show, merged per (parent, uuid), with filters.

    Returns ``(devices, types, problems)``: devices sorted by parent and uuid; types as
    ``{parent: {type: info}}``, None without ``with_types``; problems lists definition files
    that cannot be read. Keys that start with ``_`` are for the summary lines only (``public``
    drops them). A uuid defined under several parents is listed once per parent; a running
    device is listed under the parent it runs on.

    With ``with_attrs`` a running device also has ``active_attrs``, what it runs with: from the
    ``get attributes`` callout where a script answers (as ``mdevctl list`` shows), else for
    vfio_ap from the matrix the kernel shows; ``active_attrs_source`` says which. Without it no
    script is run and no matrix read (mdevctl's lines do not show them).
    """
    uuid = _names.uuid(uuid) if uuid is not None else None
    parent = _names.safe_name(parent, 'parent') if parent is not None else None
    mdev_type = _names.safe_name(mdev_type, 'type') if mdev_type is not None else None
    store = ConfigStore(host)
    defined = store.definitions()
    callouts = _callouts_of(host) if callouts is None and with_attrs else callouts
    devices = []
    with ReadPass() as dirs:
        active = _mdev.running(host, dirs)
        keys = set(defined) | set((p, u) for u, (p, _t) in active.items())
        for p, u in sorted(keys):
            d = defined.get((p, u))
            act = active.get(u)
            act = act if act and act[0] == p else None
            t = act[1] if act else d.mdev_type
            if (uuid and u != uuid) or (parent and p != parent) or (mdev_type and t != mdev_type):
                continue
            # plain dicts (ordered since Python 3.6): every container of a result costs exit_json time
            entry = {'uuid': u, 'parent': p, 'mdev_type': t, 'start': d.start if d else None,
                     'attrs': attrs_json(d.attrs) if d else [], 'defined': d is not None, 'active': act is not None}
            if act and with_attrs:
                try:
                    attrs, source = running_attrs(host, callouts, u, p, t, dirs)
                except VfioError:
                    attrs, source = None, None  # mdevctl list shows no attributes then either
                entry['active_attrs'] = attrs_json(attrs) if attrs is not None else None
                entry['active_attrs_source'] = source
            entry['_definition_type'] = d.mdev_type if d else None
            entry['_file'] = (p, u) in store.names
            devices.append(entry)
        types = _types(host, parent, mdev_type, dirs) if with_types else None
    return devices, types, store.problems


def _callouts_of(host):
    """The host's callout scripts, or None where there are none (most hosts): then the scripts'
    directories are looked at once, not once per running device, and their runner is never loaded."""
    if not any(_has_entries(host.path(*parts)) for parts in CALLOUT_DIRS):
        return None
    from .callouts import Callouts  # here, not at the top: most hosts have no scripts and never load it
    callouts = Callouts(host)
    return callouts if callouts.present else None


def _has_entries(directory):
    """True if ``directory`` lists anything."""
    try:
        return bool(os.listdir(directory))
    except OSError:
        return False


def _types(host, parent, mdev_type, dirs):
    """``{parent: {type: info}}`` as ``mdevctl types`` shows them, with the listing's filters."""
    types = OrderedDict()
    for name in _mdev.parent_names(host):
        if parent and name != parent:
            continue
        offered = OrderedDict((t.id, t.info(dirs)) for t in _mdev.Parent(host, name).types()
                              if not mdev_type or t.id == mdev_type)
        if offered:
            types[name] = offered
    return types


def list_lines(devices):
    """The lines ``mdevctl list`` prints for the running devices among ``devices``.

    ``uuid parent type auto|manual``, then `` (defined)`` when a definition file exists under
    that parent; the start is the definition's, ``manual`` without a readable one.
    """
    return ['%s %s %s %s%s' % (e['uuid'], e['parent'], e['mdev_type'], e['start'] or 'manual',
                               ' (defined)' if e['_file'] else '')
            for e in devices if e['active']]


def list_defined_lines(devices):
    """The lines ``mdevctl list -d`` prints for the definitions among ``devices``.

    ``uuid parent type auto|manual``, then `` (active)`` when the device runs under that parent
    with the defined type.
    """
    return ['%s %s %s %s%s' % (e['uuid'], e['parent'], e['_definition_type'], e['start'],
                               ' (active)' if e['active'] and e['mdev_type'] == e['_definition_type'] else '')
            for e in devices if e['defined']]


def summary_line(entry):
    """One line for a device, exactly as mdevctl prints it: ``list -d``'s for a definition, ``list``'s otherwise."""
    if entry['defined']:
        return list_defined_lines([entry])[0]
    return list_lines([entry])[0]


def public(entry):
    """The entry without the keys only the summary lines need, removed in place: make the lines first."""
    entry.pop('_definition_type', None)
    entry.pop('_file', None)
    return entry
