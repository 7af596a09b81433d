"""The mdev core of the simulated kernel: parents, types and mediated devices.

A device becomes a parent when a driver with the ``mdev_parent`` effect binds it (or at start, a
scenario's class parent); its types share one pool of instances. ``create`` and ``remove`` make
and delete mdevs, each in a vfio-noiommu IOMMU group of its own.
"""

import errno as E
import heapq
import re
import uuid as uuidlib

from .core import BUS_MATCH, EFFECTS, UEVENT_ACTIONS, Device, build_step, fail, handles, kstrtoul, reads

UUID_LEN = 36


class Ida(object):
    """The kernel's ida: the lowest free number; ``taken(n)`` says which numbers others hold."""

    def __init__(self, taken=lambda n: False):
        self.next = 0
        self.freed = []
        self.taken = taken

    def get(self):
        """Allocate the lowest free number."""
        if self.freed:
            return heapq.heappop(self.freed)
        while self.taken(self.next):
            self.next += 1
        self.next += 1
        return self.next - 1

    def put(self, number):
        """Free a number."""
        heapq.heappush(self.freed, number)


class MdevParent(object):
    """A device registered with the mdev core, with its types and shared pool."""

    def __init__(self, device, types, pool, mdev_driver, exhausted='EUSERS'):
        self.device = device
        self.exhausted = exhausted
        self.types = {}
        self.pool = pool
        self.mdev_driver = mdev_driver
        self.name = device.name
        for type_id, spec in types.items():
            self.types[type_id] = MdevType(self, type_id, spec)

    def available(self, mtype):
        """Instances of ``mtype`` that can still be created."""
        used = sum(t.units * len(t.mdevs) for t in self.types.values())
        return (self.pool - used) // mtype.units


class MdevType(object):
    """An mdev type of a parent."""

    def __init__(self, parent, type_id, spec):
        self.parent = parent
        self.id = type_id
        self.spec = spec
        self.units = spec.get('units', 1)
        self.mdevs = {}

    @property
    def path(self):
        """The type directory under the parent."""
        return '%s/mdev_supported_types/%s' % (self.parent.device.path, self.id)


class Mdev(object):
    """A mediated device."""

    def __init__(self, mtype, uuid):
        self.type = mtype
        self.uuid = uuid
        self.path = '%s/%s' % (mtype.parent.device.path, uuid)
        # The vfio_ap matrix (ap.py); any mdev has one so that the AP checks need not ask the type.
        self.assigned = {'adapter': set(), 'domain': set(), 'control_domain': set()}


@build_step('start')
def setup(kernel, scenario):
    """Create /sys/class/mdev_bus and the mdev core's state."""
    kernel.parents = {}  # parent device name -> MdevParent
    kernel.mdevs = {}  # uuid -> Mdev: a uuid is unique over every parent
    groups = kernel.tree.mkdir('/sys/kernel/iommu_groups').children
    kernel.iommu_ids = Ida(lambda n: str(n) in groups)  # the scenario's own groups (PCI) are taken
    kernel.vfio_ids = Ida()  # vfio-dev/vfioN of each mdev
    kernel.tree.mkdir('/sys/class/mdev_bus')


@build_step('devices')
def add_class_parents(kernel, scenario):
    """Register the scenario's class devices (mtty and the like) as parents."""
    for spec in scenario.get('class_parents') or []:
        dev = Device(None, spec['name'], '/sys/devices/' + spec['path'], spec)
        kernel.device_files(dev)
        kernel.device_uevent(dev, 'add')
        register_parent(kernel, dev, spec['mdev_types'], spec.get('mdev_pool'), spec.get('mdev_driver'),
                        spec.get('exhausted_errno'))


@build_step('load')
def start_mdevs(kernel, scenario):
    """Create the scenario's running mdevs."""
    for spec in scenario.get('mdevs') or []:
        start_mdev(kernel, spec)


def register_parent(kernel, dev, types, pool, mdev_driver, exhausted=None):
    """Register ``dev`` with the mdev core (``mdev_supported_types``, class link)."""
    parent = MdevParent(dev, types, pool or 1, mdev_driver, exhausted or 'EUSERS')
    dev.mdev_parent = parent
    kernel.parents[dev.name] = parent
    t = kernel.tree
    for mtype in parent.types.values():
        spec = mtype.spec
        t.attr(mtype.path + '/name', '%s\n' % spec.get('name', mtype.id))
        t.attr(mtype.path + '/device_api', '%s\n' % spec['device_api'])
        if spec.get('description'):
            t.attr(mtype.path + '/description', '%s\n' % spec['description'])
        t.attr(mtype.path + '/available_instances', '', 0o444, 'available_instances', mtype)
        t.attr(mtype.path + '/create', '', 0o200, 'create', mtype)
        t.mkdir(mtype.path + '/devices')
    t.link('/sys/class/mdev_bus/' + dev.name, dev.path)
    refresh_available(kernel, parent)
    # mdev_register_parent() ends with a change uevent on the parent (s390-sysfs.md section 4)
    kernel.device_uevent(dev, 'change', [('MDEV_STATE', 'registered')])
    return parent


def unregister_parent(kernel, dev):
    """Remove a parent and every mdev it has, as mdev_unregister_parent does."""
    parent = dev.mdev_parent
    for mtype in parent.types.values():
        for mdev in list(mtype.mdevs.values()):
            remove_mdev(kernel, mdev)
    kernel.tree.remove(dev.path + '/mdev_supported_types')
    kernel.tree.remove('/sys/class/mdev_bus/' + dev.name)
    kernel.parents.pop(dev.name, None)
    dev.mdev_parent = None
    kernel.device_uevent(dev, 'change', [('MDEV_STATE', 'unregistered')])  # mdev_unregister_parent()


def refresh_available(kernel, parent):
    """Recompute ``available_instances`` of every type of ``parent``."""
    for mtype in parent.types.values():
        kernel.tree.get(mtype.path + '/available_instances').value = '%d\n' % parent.available(mtype)


def create_mdev(kernel, mtype, uuid):
    """Create an mdev of ``mtype`` named ``uuid`` with its links and attributes."""
    parent = mtype.parent
    mdev = Mdev(mtype, uuid)
    mtype.mdevs[uuid] = mdev
    kernel.mdevs[uuid] = mdev
    t = kernel.tree
    t.mkdir(mdev.path)
    t.attr(mdev.path + '/remove', '', 0o200, 'remove', mdev)
    # 6.1's mdev bus adds no uevent variables of its own: the file holds the core's DRIVER= only
    t.attr(mdev.path + '/uevent', 'DRIVER=%s\n' % parent.mdev_driver if parent.mdev_driver else '', 0o644, 'mdev_uevent', mdev)
    t.link(mdev.path + '/mdev_type', mtype.path)
    t.link(mdev.path + '/subsystem', '/sys/bus/mdev')
    t.link('%s/devices/%s' % (mtype.path, uuid), mdev.path)
    t.link('/sys/bus/mdev/devices/' + uuid, mdev.path)
    bus = kernel.buses.get('mdev')
    if bus is not None:
        # a device of the mdev bus, bound to its parent's mdev driver (unbind leaves it driverless)
        mdev.device = bus.devices[uuid] = Device(bus, uuid, mdev.path, {'driver_override': False})
        drv = bus.drivers.get(parent.mdev_driver)
        if drv is not None:
            mdev.device.driver = drv
            t.link('%s/%s' % (drv.path, uuid), mdev.path)
    if parent.mdev_driver:
        t.link(mdev.path + '/driver', '/sys/bus/mdev/drivers/' + parent.mdev_driver)
    # vfio_noiommu_group_alloc(): a new IOMMU group (the lowest free id, as iommu_group_alloc()'s ida
    # gives it) named vfio-noiommu, and a vfio device vfioN (the lowest free index) under vfio-dev/
    mdev.group = kernel.iommu_ids.get()
    gpath = '/sys/kernel/iommu_groups/%d' % mdev.group
    t.link('%s/devices/%s' % (gpath, uuid), mdev.path)
    t.attr(gpath + '/name', 'vfio-noiommu\n')
    t.attr(gpath + '/reserved_regions', '')
    t.attr(gpath + '/type', 'unknown\n')
    t.link(mdev.path + '/iommu_group', gpath)
    mdev.vfio_index = kernel.vfio_ids.get()
    t.attr('%s/vfio-dev/vfio%d/uevent' % (mdev.path, mdev.vfio_index), '', 0o644, 'noop', mdev)
    for name, spec in (mtype.spec.get('device_attrs') or {}).items():
        mode = int(str(spec.get('mode', '0444')), 8)
        handler = spec.get('handler')
        t.attr('%s/%s' % (mdev.path, name), spec.get('value', ''), mode, handler, mdev)
    refresh_available(kernel, parent)
    # device_add() of the mdev (KOBJ_ADD, mdev bus), then its driver's bind (KOBJ_BIND); the mdev bus
    # adds no variables of its own (s390-sysfs.md section 4: ADD/REMOVE uevents)
    mdev_uevent(kernel, mdev, 'add', bound=False)
    if parent.mdev_driver:
        mdev_uevent(kernel, mdev, 'bind')
    return mdev


def mdev_uevent(kernel, mdev, action, bound=True, env=()):
    """A uevent of an mdev (SUBSYSTEM=mdev), with DRIVER= while it is bound to its parent's mdev driver."""
    device = getattr(mdev, 'device', None)
    if device is not None:
        driver = device.driver.name if device.driver is not None else None
    else:
        driver = mdev.type.parent.mdev_driver
    pairs = list(env) + ([('DRIVER', driver)] if bound and driver else [])
    return kernel.send_uevent(action, mdev.path[len('/sys'):], 'mdev', pairs)


@handles('mdev_uevent')
def h_mdev_uevent(kernel, mdev, node, data):
    """A write to an mdev's uevent file: kobject_synth_uevent() (see core.h_uevent)."""
    words = data.split()
    if not words or words[0] not in UEVENT_ACTIONS:
        fail(E.EINVAL)
    mdev_uevent(kernel, mdev, words[0], env=[('SYNTH_UUID', '0')])


def start_mdev(kernel, spec):
    """Create a scenario's running mdev (``uuid``, ``parent``, ``type``, vfio_ap ``matrix``) unlogged."""
    mdev = create_mdev(kernel, kernel.parents[spec['parent']].types[spec['type']], spec['uuid'])
    for kind, values in (spec.get('matrix') or {}).items():
        mdev.assigned[kind].update(values)
    return mdev


def remove_mdev(kernel, mdev):
    """Remove an mdev and its links, freeing its instance."""
    device = getattr(mdev, 'device', None)
    if device is None or device.driver is not None:
        mdev_uevent(kernel, mdev, 'unbind', bound=False)
    mdev_uevent(kernel, mdev, 'remove', bound=False)
    t = kernel.tree
    t.remove('/sys/kernel/iommu_groups/%d' % mdev.group)
    kernel.iommu_ids.put(mdev.group)
    kernel.vfio_ids.put(mdev.vfio_index)
    device = getattr(mdev, 'device', None)
    if device is not None:
        if device.driver is not None:
            t.remove('%s/%s' % (device.driver.path, mdev.uuid))
        device.bus.devices.pop(mdev.uuid, None)
    t.remove(mdev.path)
    t.remove('%s/devices/%s' % (mdev.type.path, mdev.uuid))
    t.remove('/sys/bus/mdev/devices/' + mdev.uuid)
    mdev.type.mdevs.pop(mdev.uuid, None)
    kernel.mdevs.pop(mdev.uuid, None)
    refresh_available(kernel, mdev.type.parent)


@handles('create')
def h_create(kernel, mtype, node, data):
    """mdev create: 36-37 bytes, a valid UUID not used on any parent, an instance left."""
    if not UUID_LEN <= len(data) <= UUID_LEN + 1:
        fail(E.EINVAL)
    text = data[:UUID_LEN]
    if not re.match(r'^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$', text):
        fail(E.EINVAL)
    uuid = str(uuidlib.UUID(text))
    if uuid in kernel.mdevs:
        fail(E.EEXIST)
    if mtype.parent.available(mtype) < 1:
        fail(getattr(E, mtype.parent.exhausted))  # core-counted parents EUSERS; mtty counts itself: ENOSPC
    create_mdev(kernel, mtype, uuid)


@handles('remove')
def h_remove(kernel, mdev, node, data):
    """mdev remove: a base-0 number, nonzero removes."""
    if kstrtoul(data):
        remove_mdev(kernel, mdev)


@reads('available_instances')
def r_available(kernel, node):
    """available_instances of a type."""
    return '%d\n' % node.owner.parent.available(node.owner)


def e_parent_on(kernel, dev, drv):
    """Register the bound device as an mdev parent with the driver's types."""
    register_parent(kernel, dev, drv.mdev_types, drv.mdev_pool, drv.mdev_driver)


def e_parent_off(kernel, dev, drv):
    """Unregister the mdev parent (removing its mdevs)."""
    if dev.mdev_parent:
        unregister_parent(kernel, dev)


EFFECTS['mdev_parent'] = (e_parent_on, e_parent_off)
# 6.1's mdev_match() matches nothing: an mdev unbound from its driver stays driverless (bind ENODEV)
BUS_MATCH['mdev'] = lambda kernel, drv, dev: False
