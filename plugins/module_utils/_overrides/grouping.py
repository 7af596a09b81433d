# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the planner does with IOMMU groups: group mode, and the refusal to split a group.

A guest gets a whole IOMMU group or nothing: VFIO opens a group only while none of its
endpoints is bound to a host driver. Group mode (``iommu_group``) turns a request for one device
into one per endpoint of its group, planned one after the other, so that the plan's undo gives
the group back whole when one of them fails. A plan that would leave a group with endpoints on
vfio drivers and others on host drivers is refused before anything is written, unless the task
allows it (``allow_split_group``), and then it says so in a warning.
"""

from collections import OrderedDict

from .._core.errors import ConflictError, InvalidArgument, NotFound
from .binder import DEFAULT_DRIVER, NONE
from .groups import Groups, is_host_driver, is_vfio_driver

FIX = ('VFIO can use a group only when each of its endpoints is on vfio-pci (or a variant of it), pci-stub or no '
       'driver: set iommu_group: true so that the task takes the whole group (or list each of its devices), or '
       'allow_split_group: true to split it knowingly')


def expand_groups(host, requests):
    """The requests, each one in group mode replaced by one per endpoint of its IOMMU group, in address order."""
    groups = Groups(host)
    out = []
    for req in requests:
        if not req.iommu_group:
            out.append(req)
            continue
        for name in group_endpoints(groups, req.device):
            out.append(req if name == req.device else req.for_member(name))
    return out


def group_endpoints(groups, name):
    """The endpoints of the IOMMU group of PCI device ``name`` (itself included unless it is a bridge)."""
    dev = groups.bus.device(name).require()
    group = dev.iommu_group
    if group is None:
        raise NotFound('%s has no IOMMU group (%s is missing), so iommu_group cannot find the devices that share '
                       'it; is the IOMMU on (intel_iommu=on, amd_iommu=on)?' % (dev, dev.display('iommu_group')),
                       path=dev.display('iommu_group'), device=name)
    names = [n for n, _driver in groups.endpoints(group)]
    if not names:
        raise NotFound('IOMMU group %s of %s has no endpoint, only bridges (%s)' % (
            group, dev, ', '.join(groups.members(group))), path=groups.path(group), device=name, value=group)
    return names


def same_device_twice(first, again):
    """Check a device asked for a second time: allowed only where a group brought it in, with the same options."""
    if first.via is None and again.via is None:
        raise InvalidArgument('%s device %s is listed twice' % (again.bus, again.device), device=again.device)
    if first.options != again.options:
        raise InvalidArgument('%s device %s is asked for twice with different options: %s and %s' % (
            again.bus, again.device, _why(first), _why(again)), device=again.device, field='iommu_group')


def _why(req):
    """How a request came to name its device, for messages."""
    return 'as a device of the IOMMU group of %s' % req.via if req.via else 'on its own'


def check_split(host, planned, allow, warnings):
    """Refuse a plan that leaves an IOMMU group split between vfio and host drivers (with ``allow``, warn).

    ``planned`` holds ``(request, change)`` pairs; a group is checked when the plan changes one of
    its devices, with the drivers its changed devices end up with (``eventual_driver``) and the
    current ones for the rest.
    """
    pci = [(req, change) for req, change in planned if req.bus == 'pci']
    groups = Groups(host, drivers=dict((req.device, eventual_driver(req, change) if change.actions else
                                        change.after['driver']) for req, change in pci))
    asked = OrderedDict()
    for req, change in pci:
        group = groups.group_of(req.device) if change.actions else None
        if group is not None:
            asked.setdefault(group, []).append(req.device)
    for group, names in asked.items():
        endpoints = groups.endpoints(group)
        if any(is_vfio_driver(d) for _n, d in endpoints) and any(is_host_driver(d) for _n, d in endpoints):
            _split(groups, group, names, endpoints, allow, warnings)


def eventual_driver(req, change):
    """The driver a changed device ends up with: not only now but at its next probe, which the next boot
    makes. A device left unbound (``probe: false``) is taken by its override's driver then, or with
    the override cleared by its default driver, a host driver as far as the group is concerned."""
    if req.state == 'present':
        return None if req.driver == NONE else req.driver
    return change.after['driver'] or DEFAULT_DRIVER


def _split(groups, group, names, endpoints, allow, warnings):
    """Raise the refusal of a split group, or with ``allow`` add the warning."""
    who = ', '.join('%s%s on %s' % (n, ' (asked for)' if n in names else '', d or 'no driver') for n, d in endpoints)
    if allow:
        warnings.append('IOMMU group %s is split between vfio and host drivers (allow_split_group): %s; VFIO cannot '
                        'open the group until each of its endpoints is on vfio-pci, pci-stub or no driver'
                        % (group, who))
        return
    raise ConflictError('IOMMU group %s would be split between vfio and host drivers: %s. %s; nothing was changed'
                        % (group, who, FIX), path=groups.path(group), value=group, device=names[0],
                        iommu_group=group, endpoints=OrderedDict(endpoints))
