"""The simulated kernel: an in-memory sysfs tree and the reactions to writes.

Pure Python, no FUSE: ``fusefs.py`` only translates file operations into calls on
``Kernel``. Every writable attribute names a handler from ``HANDLERS``; a handler
changes the model and the tree or raises ``OSError`` with the errno the kernel
returns. Scenario files (``scenarios/*.yaml``) hold the devices, drivers and mdev
types; this module holds only behaviour.
"""

import errno as E
import json
import os
import re
import time
import uuid as uuidlib

PAGE_SIZE = 4096
UUID_LEN = 36


def fail(code):
    """Raise the OSError the kernel would return for ``code``."""
    raise OSError(code, os.strerror(code))


# --------------------------------------------------------------------------- tree


class Node(object):
    """A file system object; ``mode`` holds permission bits only."""

    __slots__ = ('mode',)


class Dir(Node):
    """A directory: an ordered mapping of names to nodes."""

    __slots__ = ('children',)

    def __init__(self):
        self.mode = 0o755
        self.children = {}


class Attr(Node):
    """A sysfs attribute: a value, and the handler that reacts to writes."""

    __slots__ = ('value', 'handler', 'owner')

    def __init__(self, value='', mode=0o444, handler=None, owner=None):
        self.mode = mode
        self.value = value
        self.handler = handler
        self.owner = owner


class Link(Node):
    """A symbolic link to an absolute path of the simulated host."""

    __slots__ = ('target',)

    def __init__(self, target):
        self.mode = 0o777
        self.target = target


def split(path):
    """Split an absolute simulated path into its components."""
    return [p for p in path.split('/') if p]


class Tree(object):
    """The file tree under the simulated ``/sys``; paths are absolute (``/sys/...``)."""

    def __init__(self):
        self.root = Dir()

    def get(self, path):
        """Return the node at ``path`` without following links, or None."""
        node = self.root
        for part in split(path):
            if not isinstance(node, Dir):
                return None
            node = node.children.get(part)
            if node is None:
                return None
        return node

    def mkdir(self, path):
        """Create ``path`` and its parents as directories; return the directory."""
        node = self.root
        for part in split(path):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = Dir()
            node = child
        return node

    def put(self, path, node):
        """Place ``node`` at ``path``, creating parent directories."""
        parent, name = os.path.split(path)
        self.mkdir(parent).children[name] = node
        return node

    def attr(self, path, value='', mode=0o444, handler=None, owner=None):
        """Create an attribute file."""
        return self.put(path, Attr(value, mode, handler, owner))

    def link(self, path, target):
        """Create a symbolic link to ``target``."""
        return self.put(path, Link(target))

    def remove(self, path):
        """Remove the node at ``path`` (a whole subtree for a directory)."""
        parent, name = os.path.split(path)
        node = self.get(parent)
        if isinstance(node, Dir):
            node.children.pop(name, None)


# --------------------------------------------------------------------------- model


class Bus(object):
    """A bus: ``/sys/bus/<name>`` with its devices and drivers in probe order."""

    def __init__(self, name):
        self.name = name
        self.devices = {}
        self.drivers = {}

    @property
    def path(self):
        """The bus directory."""
        return '/sys/bus/' + self.name


class Driver(object):
    """A driver registered on a bus."""

    def __init__(self, bus, spec):
        self.bus = bus
        self.name = spec['name']
        self.match = spec.get('match') or {}
        self.effects = spec.get('effects') or []
        self.mdev_types = spec.get('mdev_types') or {}
        self.mdev_pool = spec.get('mdev_pool')
        self.mdev_driver = spec.get('mdev_driver')
        self.ap_default = spec.get('ap_default', False)
        self.module = spec.get('module', self.name.replace('-', '_'))

    @property
    def path(self):
        """The driver directory."""
        return '%s/drivers/%s' % (self.bus.path, self.name)


class Device(object):
    """A device on a bus (or a class device when ``bus`` is None)."""

    def __init__(self, bus, name, path, spec):
        self.bus = bus
        self.name = name
        self.path = path
        self.spec = spec
        self.driver = None
        self.override = None
        self.mdev_parent = None
        self.children = []

    def attr(self, name, default=None):
        """Return a scenario attribute of the device."""
        return (self.spec.get('attrs') or {}).get(name, default)


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
        self.assigned = {'adapter': set(), 'domain': set(), 'control_domain': set()}


def as_int(text):
    """Parse an integer the way kstrtoul(base 0) does (0x hex, leading 0 octal), raising EINVAL."""
    # Deliberately not shared with the library's parser: a mistake there must not be hidden here.
    text = text.strip()
    try:
        if text[:2].lower() == '0x':
            return int(text[2:], 16)
        if len(text) > 1 and text[0] == '0':
            return int(text[1:], 8)
        return int(text, 10)
    except ValueError:
        fail(E.EINVAL)


class Kernel(object):
    """The whole simulated host: tree, buses, mdev parents, AP masks and the write log."""

    def __init__(self, scenario, log_path=None):
        self.tree = Tree()
        self.buses = {}
        self.parents = {}
        self.mdevs = {}
        self.log_path = log_path
        self.iommu_groups = 0
        self.start_time = time.time()
        self.ap = scenario.get('ap')
        self.ap_mask = self.aq_mask = None
        self.blacklist = set()
        self.hidden = []
        self._build(scenario)

    # -- construction ---------------------------------------------------------

    def _build(self, scenario):
        t = self.tree
        t.attr('/proc/cio_ignore', '', 0o644, 'cio_ignore', self)
        t.attr('/proc/cio_settle', '', 0o200, 'noop', self)
        for item in scenario.get('cio_ignore') or []:
            self.blacklist |= parse_cio_item(item) or set()
        t.mkdir('/sys/class/mdev_bus')
        t.mkdir('/sys/kernel/iommu_groups')
        t.mkdir('/sys/module')
        for bus_name, bus_spec in (scenario.get('buses') or {}).items():
            self.add_bus(bus_name, bus_spec or {})
        if self.ap:
            self._build_ap(self.ap)
        for bus_name, bus_spec in (scenario.get('buses') or {}).items():
            for spec in (bus_spec or {}).get('devices') or []:
                if self.ignored(spec):
                    self.hidden.append((bus_name, spec))  # cio_ignore'd: the subchannel is not registered
                else:
                    self.add_device(self.buses[bus_name], spec)
        for spec in scenario.get('class_parents') or []:
            dev = Device(None, spec['name'], '/sys/devices/' + spec['path'], spec)
            self._device_files(dev)
            self.register_parent(dev, spec['mdev_types'], spec.get('mdev_pool'), spec.get('mdev_driver'),
                                 spec.get('exhausted_errno'))
        for name in scenario.get('modules') or []:
            t.mkdir('/sys/module/' + name)

    def add_bus(self, name, spec):
        """Create ``/sys/bus/<name>`` and register its drivers in order."""
        bus = self.buses[name] = Bus(name)
        t = self.tree
        t.mkdir(bus.path + '/devices')
        t.mkdir(bus.path + '/drivers')
        t.attr(bus.path + '/drivers_probe', '', 0o200, 'drivers_probe', bus)
        t.attr(bus.path + '/drivers_autoprobe', '1\n', 0o644, 'noop', bus)
        t.attr(bus.path + '/uevent', '', 0o200, 'noop', bus)
        for dspec in spec.get('drivers') or []:
            self.add_driver(bus, dspec)
        return bus

    def add_driver(self, bus, spec):
        """Register a driver (as loading its module would)."""
        drv = bus.drivers[spec['name']] = Driver(bus, spec)
        t = self.tree
        t.mkdir(drv.path)
        if not spec.get('no_bind'):
            t.attr(drv.path + '/bind', '', 0o200, 'bind', drv)
            t.attr(drv.path + '/unbind', '', 0o200, 'unbind', drv)
        t.attr(drv.path + '/uevent', '', 0o200, 'noop', drv)
        t.mkdir('/sys/module/' + drv.module)
        t.link(drv.path + '/module', '/sys/module/' + drv.module)
        return drv

    def _device_files(self, dev):
        t = self.tree
        t.mkdir(dev.path)
        t.attr(dev.path + '/uevent', self._uevent(dev), 0o644, 'noop', dev)
        t.mkdir(dev.path + '/power')
        for name, value in (dev.spec.get('attrs') or {}).items():
            t.attr('%s/%s' % (dev.path, name), '%s\n' % value)
        if dev.bus is not None:
            t.link(dev.path + '/subsystem', dev.bus.path)
            t.link('%s/devices/%s' % (dev.bus.path, dev.name), dev.path)
            if dev.spec.get('driver_override', True):
                self.tree.attr(dev.path + '/driver_override', '', 0o644, 'driver_override', dev)
        group = dev.spec.get('iommu_group')
        if group is not None:
            gpath = '/sys/kernel/iommu_groups/%s' % group
            t.mkdir(gpath + '/devices')
            t.link('%s/devices/%s' % (gpath, dev.name), dev.path)
            t.link(dev.path + '/iommu_group', gpath)

    @staticmethod
    def _uevent(dev):
        lines = ['DRIVER=%s' % dev.driver.name] if dev.driver else []
        lines += ['%s=%s' % kv for kv in (dev.spec.get('uevent') or {}).items()]
        return ''.join(line + '\n' for line in lines)

    def add_device(self, bus, spec, parent_path='/sys/devices'):
        """Create a device from its scenario entry and bind it as the scenario says."""
        dev = Device(bus, spec['name'], '%s/%s' % (parent_path, spec.get('path', spec['name'])), spec)
        if dev.name in bus.devices:
            raise ValueError('duplicate device %s on bus %s' % (dev.name, bus.name))
        bus.devices[dev.name] = dev
        self._device_files(dev)
        if spec.get('override'):
            dev.override = spec['override']
        want = spec.get('driver')
        if want:
            self.bind(dev, bus.drivers[want])
        elif spec.get('probe', True) and want is None:
            self.probe(dev)
        return dev

    def ignored(self, spec):
        """True if a subchannel's device number is on the cio_ignore list."""
        busid = str((spec.get('attrs') or {}).get('dev_busid', ''))
        return busid.count('.') == 2 and busid_key(busid) in self.blacklist

    def reveal(self):
        """Register the hidden subchannels whose device is no longer ignored (the rescan after free)."""
        still = []
        for bus_name, spec in self.hidden:
            if self.ignored(spec):
                still.append((bus_name, spec))
            else:
                self.add_device(self.buses[bus_name], spec)
        self.hidden = still

    def purge(self):
        """Unregister subchannels of ignored devices that are offline (``purge``)."""
        bus = self.buses.get('css')
        for dev in list(bus.devices.values()) if bus else []:
            child = dev.children[0] if dev.children else None
            if self.ignored(dev.spec) and (child is None or str(child.attr('online', '0')) == '0'):
                self.remove_device(dev)
                self.hidden.append(('css', dev.spec))

    def remove_device(self, dev):
        """Remove a device (and its children) from the tree and its bus."""
        if dev.driver:
            self.unbind(dev)
        for child in list(dev.children):
            self.remove_device(child)
        self.tree.remove(dev.path)
        if dev.bus is not None:
            dev.bus.devices.pop(dev.name, None)
            self.tree.remove('%s/devices/%s' % (dev.bus.path, dev.name))

    # -- AP -----------------------------------------------------------------

    def _build_ap(self, ap):
        t = self.tree
        nbits = 256
        self.ap_mask = (1 << nbits) - 1
        self.aq_mask = (1 << nbits) - 1
        for a in ap.get('freed_adapters') or []:
            self.ap_mask &= ~(1 << (nbits - 1 - a))
        for d in ap.get('freed_domains') or []:
            self.aq_mask &= ~(1 << (nbits - 1 - d))
        bus = self.buses['ap']
        t.attr(bus.path + '/apmask', '', 0o644, 'apmask', bus)
        t.attr(bus.path + '/aqmask', '', 0o644, 'aqmask', bus)
        t.attr(bus.path + '/ap_max_adapter_id', '%d\n' % ap.get('max_adapter_id', 63))
        t.attr(bus.path + '/ap_max_domain_id', '%d\n' % ap.get('max_domain_id', 255))
        cards = ap.get('cards') or {}
        specs = bus.__dict__.setdefault('pending', [])
        for card, cspec in sorted(cards.items()):
            card = int(card)
            name = 'card%02x' % card
            specs.append({'name': name, 'path': 'ap/' + name, 'attrs': cspec.get('attrs') or {},
                          'driver_override': False, 'ap_card': card})
            for dom in cspec.get('domains') or ap.get('domains') or []:
                specs.append({'name': '%02x.%04x' % (card, dom), 'path': 'ap/%s/%02x.%04x' % (name, card, dom),
                              'driver_override': bool(ap.get('queue_driver_override')), 'override_unset': '',
                              'ap_queue': (card, dom)})

    def ap_default_masks(self):
        """True while apmask and aqmask are all ones."""
        full = (1 << 256) - 1
        return self.ap_mask == full and self.aq_mask == full

    def ap_host_owned(self, adapter, domain):
        """True if the masks give the queue (adapter, domain) to the default drivers."""
        return bool(self.ap_mask >> (255 - adapter) & 1 and self.aq_mask >> (255 - domain) & 1)

    # -- binding ------------------------------------------------------------

    def matches(self, drv, dev):
        """The bus's match function: override first, then the driver's id table."""
        if dev.override is not None and dev.override != drv.name:
            return False
        bus = dev.bus.name
        if bus == 'pci' and dev.override == drv.name:
            return True
        if bus == 'ap' and 'ap_queue' in dev.spec:
            if dev.override == drv.name:
                return True
            if 'ap_queue' in drv.match and self.ap_host_owned(*dev.spec['ap_queue']) != drv.ap_default:
                return False
        for key, want in drv.match.items():
            have = dev.spec.get(key, dev.attr(key))
            if isinstance(want, list):
                if have not in want:
                    return False
            elif want is True:
                if have is None:
                    return False
            elif str(have) != str(want):
                return False
        return bool(drv.match)

    def probe(self, dev):
        """Bind the first matching driver that accepts the device (device_attach)."""
        if dev.driver or dev.bus is None:
            return
        for drv in list(dev.bus.drivers.values()):
            if self.matches(drv, dev) and not self._probe_error(drv, dev):
                self.bind(dev, drv)
                return

    @staticmethod
    def _probe_error(drv, dev):
        refused = (dev.spec.get('probe_errors') or {}).get(drv.name)
        return getattr(E, refused) if refused else 0

    def bind(self, dev, drv):
        """Attach ``dev`` to ``drv`` and run the driver's bind effects."""
        if dev.driver is not None:
            fail(E.EBUSY)
        code = self._probe_error(drv, dev)
        if code:
            fail(code)
        dev.driver = drv
        self.tree.link(dev.path + '/driver', drv.path)
        self.tree.link('%s/%s' % (drv.path, dev.name), dev.path)
        for effect in drv.effects:
            EFFECTS[effect][0](self, dev, drv)
        self.tree.get(dev.path + '/uevent').value = self._uevent(dev)

    def unbind(self, dev):
        """Detach ``dev`` from its driver and undo the bind effects."""
        drv = dev.driver
        for effect in reversed(drv.effects):
            EFFECTS[effect][1](self, dev, drv)
        self.tree.remove(dev.path + '/driver')
        self.tree.remove('%s/%s' % (drv.path, dev.name))
        dev.driver = None
        self.tree.get(dev.path + '/uevent').value = self._uevent(dev)

    # -- mdev ---------------------------------------------------------------

    def register_parent(self, dev, types, pool, mdev_driver, exhausted=None):
        """Register ``dev`` with the mdev core (``mdev_supported_types``, class link)."""
        parent = MdevParent(dev, types, pool or 1, mdev_driver, exhausted or 'EUSERS')
        dev.mdev_parent = parent
        self.parents[dev.name] = parent
        t = self.tree
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
        self.refresh_available(parent)
        return parent

    def unregister_parent(self, dev):
        """Remove a parent and every mdev it has, as mdev_unregister_parent does."""
        parent = dev.mdev_parent
        for mtype in parent.types.values():
            for mdev in list(mtype.mdevs.values()):
                self.remove_mdev(mdev)
        self.tree.remove(dev.path + '/mdev_supported_types')
        self.tree.remove('/sys/class/mdev_bus/' + dev.name)
        self.parents.pop(dev.name, None)
        dev.mdev_parent = None

    def refresh_available(self, parent):
        """Recompute ``available_instances`` of every type of ``parent``."""
        for mtype in parent.types.values():
            self.tree.get(mtype.path + '/available_instances').value = '%d\n' % parent.available(mtype)

    def create_mdev(self, mtype, uuid):
        """Create an mdev of ``mtype`` named ``uuid`` with its links and attributes."""
        parent = mtype.parent
        mdev = Mdev(mtype, uuid)
        mtype.mdevs[uuid] = mdev
        self.mdevs[uuid] = mdev
        t = self.tree
        t.mkdir(mdev.path)
        t.attr(mdev.path + '/remove', '', 0o200, 'remove', mdev)
        t.attr(mdev.path + '/uevent', 'MDEV_TYPE=%s\n' % mtype.id, 0o644, 'noop', mdev)
        t.link(mdev.path + '/mdev_type', mtype.path)
        t.link(mdev.path + '/subsystem', '/sys/bus/mdev')
        t.link('%s/devices/%s' % (mtype.path, uuid), mdev.path)
        t.link('/sys/bus/mdev/devices/' + uuid, mdev.path)
        if parent.mdev_driver:
            t.link(mdev.path + '/driver', '/sys/bus/mdev/drivers/' + parent.mdev_driver)
        self.iommu_groups += 1
        group = 'vfio-noiommu-%d' % self.iommu_groups
        t.mkdir('/sys/kernel/iommu_groups/%s/devices' % group)
        t.link(mdev.path + '/iommu_group', '/sys/kernel/iommu_groups/' + group)
        for name, spec in (mtype.spec.get('device_attrs') or {}).items():
            mode = int(str(spec.get('mode', '0444')), 8)
            handler = spec.get('handler')
            t.attr('%s/%s' % (mdev.path, name), spec.get('value', ''), mode, handler, mdev)
        self.refresh_available(parent)
        return mdev

    def start_mdev(self, spec):
        """Create a scenario's running mdev (``uuid``, ``parent``, ``type``, vfio_ap ``matrix``) unlogged."""
        mdev = self.create_mdev(self.parents[spec['parent']].types[spec['type']], spec['uuid'])
        for kind, values in (spec.get('matrix') or {}).items():
            mdev.assigned[kind].update(values)
        return mdev

    def remove_mdev(self, mdev):
        """Remove an mdev and its links, freeing its instance."""
        t = self.tree
        group = t.get(mdev.path + '/iommu_group')
        if isinstance(group, Link):
            t.remove(group.target)
        t.remove(mdev.path)
        t.remove('%s/devices/%s' % (mdev.type.path, mdev.uuid))
        t.remove('/sys/bus/mdev/devices/' + mdev.uuid)
        mdev.type.mdevs.pop(mdev.uuid, None)
        self.mdevs.pop(mdev.uuid, None)
        self.refresh_available(mdev.type.parent)

    # -- file operations ----------------------------------------------------

    def read(self, node):
        """Return the text of an attribute, computed where the kernel computes it."""
        reader = READERS.get(node.handler)
        return reader(self, node) if reader else node.value

    def write(self, path, node, data):
        """Run the attribute's handler for a write and log it; raise OSError on failure."""
        code = 0
        try:
            handler = HANDLERS.get(node.handler)
            if handler is None:
                fail(E.EACCES if not node.mode & 0o222 else E.EIO)
            handler(self, node.owner, node, data)
        except OSError as exc:
            code = exc.errno
            raise
        finally:
            self.log(path, data, code)

    def log(self, path, data, code):
        """Append one write to the write log."""
        if not self.log_path:
            return
        entry = {'path': path, 'value': data, 'errno': code, 'errname': E.errorcode.get(code, '') if code else ''}
        with open(self.log_path, 'a') as f:
            f.write(json.dumps(entry) + '\n')

    def find(self, bus, text):
        """Find a device of ``bus`` by the name written to a bus attribute."""
        return bus.devices.get(text.strip())


# --------------------------------------------------------------------------- handlers


def h_noop(kernel, owner, node, data):
    """Accept and ignore the write (uevent, drivers_autoprobe)."""


def h_driver_override(kernel, dev, node, data):
    """driver_set_override(): reject long values, cut at the first newline, empty clears."""
    if len(data) >= PAGE_SIZE - 1:  # driver_set_override(): len >= PAGE_SIZE - 1 (4095 fails on 6.1)
        fail(E.EINVAL)
    if 'ap_queue' in dev.spec and not kernel.ap_default_masks():
        fail(E.EINVAL)  # [2026] AP queue overrides only while apmask and aqmask are all ones
    value = data.split('\n', 1)[0]
    dev.override = value or None


def r_driver_override(kernel, node):
    """Show the override, ``(null)`` when unset (or the bus's own unset text)."""
    dev = node.owner
    if dev.override is not None:
        return dev.override + '\n'
    return dev.spec.get('override_unset', '(null)') + '\n'


def h_drivers_probe(kernel, bus, node, data):
    """bus drivers_probe: attach a driver to an unbound device; ENODEV if no such device."""
    dev = kernel.find(bus, data)
    if dev is None:
        fail(E.ENODEV)
    kernel.probe(dev)


def h_bind(kernel, drv, node, data):
    """driver bind: ENODEV unless the device exists and matches, EBUSY if bound."""
    dev = kernel.find(drv.bus, data)
    if dev is None or not kernel.matches(drv, dev):
        fail(E.ENODEV)
    kernel.bind(dev, drv)


def h_unbind(kernel, drv, node, data):
    """driver unbind: ENODEV unless the device is bound to this driver."""
    dev = kernel.find(drv.bus, data)
    if dev is None or dev.driver is not drv:
        fail(E.ENODEV)
    kernel.unbind(dev)


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
    kernel.create_mdev(mtype, uuid)


def h_remove(kernel, mdev, node, data):
    """mdev remove: a base-0 number, nonzero removes."""
    if as_int(data):
        kernel.remove_mdev(mdev)


def r_available(kernel, node):
    """available_instances of a type."""
    return '%d\n' % node.owner.parent.available(node.owner)


def _mask_text(mask):
    return '0x%064x\n' % mask


def _parse_mask(current, data):
    """Parse an apmask/aqmask write: absolute hex or a relative +n,-m list."""
    text = data.strip()
    if not text:
        fail(E.EINVAL)
    if text[0] in '+-':
        mask = current
        for item in text.split(','):
            item = item.strip()
            if not item or item[0] not in '+-':
                fail(E.EINVAL)
            lo, dash, hi = item[1:].partition('-')
            a, b = as_int(lo), as_int(hi) if dash else as_int(lo)
            if not 0 <= a <= b < 256:
                fail(E.EINVAL)
            for bit in range(a, b + 1):
                if item[0] == '+':
                    mask |= 1 << (255 - bit)
                else:
                    mask &= ~(1 << (255 - bit))
        return mask
    digits = text[2:] if text[:2].lower() == '0x' else text
    if not digits or len(digits) > 64 or not re.match(r'^[0-9a-fA-F]+$', digits):
        fail(E.EINVAL)
    return int(digits.ljust(64, '0'), 16)


def _set_mask(kernel, which, data):
    if any(d.override is not None for d in kernel.buses['ap'].devices.values()):
        fail(E.EBUSY)  # [2026] refused while a queue has an override; the errno is unconfirmed (U)
    old = getattr(kernel, which)
    new = _parse_mask(old, data)
    setattr(kernel, which, new)
    newly_host = [m for m in kernel.mdevs.values() for a in m.assigned['adapter']
                  for d in m.assigned['domain'] if kernel.ap_host_owned(a, d)]
    if newly_host:
        setattr(kernel, which, old)
        fail(E.EBUSY)
    bus = kernel.buses['ap']
    for dev in bus.devices.values():
        if 'ap_queue' in dev.spec and dev.driver and kernel.ap_host_owned(*dev.spec['ap_queue']) != dev.driver.ap_default:
            kernel.unbind(dev)
    for dev in bus.devices.values():
        if 'ap_queue' in dev.spec:
            kernel.probe(dev)


def h_apmask(kernel, bus, node, data):
    """/sys/bus/ap/apmask: absolute or relative; EBUSY if it takes a queue from an mdev."""
    _set_mask(kernel, 'ap_mask', data)


def h_aqmask(kernel, bus, node, data):
    """/sys/bus/ap/aqmask, as apmask."""
    _set_mask(kernel, 'aq_mask', data)


def r_apmask(kernel, node):
    """Show apmask."""
    return _mask_text(kernel.ap_mask)


def r_aqmask(kernel, node):
    """Show aqmask."""
    return _mask_text(kernel.aq_mask)


def _assign(kind, add):
    def handler(kernel, mdev, node, data):
        value = as_int(data)
        limit = kernel.ap.get('max_adapter_id', 63) if kind == 'adapter' else kernel.ap.get('max_domain_id', 255)
        if value < 0 or value > limit:
            fail(E.ENODEV)
        if not add:
            mdev.assigned[kind].discard(value)
            return
        if kind != 'control_domain':
            pairs = ([(value, d) for d in mdev.assigned['domain']] if kind == 'adapter'
                     else [(a, value) for a in mdev.assigned['adapter']])
            if any(kernel.ap_host_owned(a, d) for a, d in pairs):
                fail(E.EADDRNOTAVAIL)
            for other in kernel.mdevs.values():
                if other is not mdev and any(a in other.assigned['adapter'] and d in other.assigned['domain']
                                             for a, d in pairs):
                    fail(E.EADDRINUSE)
        mdev.assigned[kind].add(value)
    handler.__doc__ = '%s_%s: kstrtoul base 0, ENODEV above the maximum, AP ownership checks.' % (
        'assign' if add else 'unassign', kind)
    return handler


def r_matrix(kernel, node):
    """The mdev's matrix: one APQN a line, or adapters/domains alone."""
    m = node.owner.assigned
    ads, doms = sorted(m['adapter']), sorted(m['domain'])
    if ads and doms:
        return ''.join('%02x.%04x\n' % (a, d) for a in ads for d in doms)
    return ''.join('%02x.\n' % a for a in ads) + ''.join('.%04x\n' % d for d in doms)


def r_control_domains(kernel, node):
    """The mdev's control domains, one a line."""
    return ''.join('%04x\n' % d for d in sorted(node.owner.assigned['control_domain']))


def busid_key(text):
    """(ssid, devno) of ``0.s.dddd``."""
    _c, ssid, devno = text.split('.')
    return int(ssid, 16), int(devno, 16)


def _cio_id(text):
    m = re.match(r'^(?:([0-9a-fA-F]{1,2})\.([0-3])\.([0-9a-fA-F]{4})|([0-9a-fA-F]{1,4}))$', text)
    if not m:
        return None
    if m.group(4):
        return 0, int(m.group(4), 16)
    return int(m.group(2)), int(m.group(3), 16)


def parse_cio_item(item):
    """The (ssid, devno) set of one cio_ignore list item, or None if the kernel rejects it."""
    item = item.strip()
    if item == 'all':
        return set((ssid, n) for ssid in range(4) for n in range(0x10000))
    if item in ('ipldev', 'condev'):
        return set()
    lo, dash, hi = item.partition('-')
    a, b = _cio_id(lo), _cio_id(hi) if dash else _cio_id(lo)
    if a is None or b is None or a > b:
        return None
    if a[0] != b[0]:
        return set((ssid, n) for ssid in range(a[0], b[0] + 1) for n in range(0x10000)
                   if (ssid, n) >= a and (ssid, n) <= b)
    return set((a[0], n) for n in range(a[1], b[1] + 1))


def h_cio_ignore(kernel, owner, node, data):
    """/proc/cio_ignore: free|add <list> or purge; bad items EINVAL, valid ones still applied."""
    text = data.strip()
    cmd, _sep, rest = text.partition(' ')
    if cmd == 'purge' and not rest:
        kernel.purge()
        return
    if cmd not in ('free', 'add') or not rest.strip():
        fail(E.EINVAL)
    bad = False
    for item in rest.split(','):
        negate = item.strip().startswith('!')
        ids = parse_cio_item(item.strip().lstrip('!'))
        if ids is None:
            bad = True
            continue
        if (cmd == 'free') != negate:
            kernel.blacklist -= ids
        else:
            kernel.blacklist |= ids
    kernel.reveal()
    if bad:
        fail(E.EINVAL)


def r_cio_ignore(kernel, node):
    """The ignored ranges, one a line: ``0.0.2c00-0.0.2cff`` or ``0.0.2c05``."""
    out, run = [], []
    for key in sorted(kernel.blacklist) + [None]:
        if run and (key is None or key != (run[-1][0], run[-1][1] + 1)):
            first, last = run[0], run[-1]
            out.append('0.%x.%04x' % first if first == last else '0.%x.%04x-0.%x.%04x' % (first + last))
            run = []
        if key is not None:
            run.append(key)
    return ''.join(line + '\n' for line in out)


HANDLERS = {
    'noop': h_noop,
    'cio_ignore': h_cio_ignore,
    'driver_override': h_driver_override,
    'drivers_probe': h_drivers_probe,
    'bind': h_bind,
    'unbind': h_unbind,
    'create': h_create,
    'remove': h_remove,
    'apmask': h_apmask,
    'aqmask': h_aqmask,
}
for kind_ in ('adapter', 'domain', 'control_domain'):
    HANDLERS['assign_' + kind_] = _assign(kind_, True)
    HANDLERS['unassign_' + kind_] = _assign(kind_, False)

READERS = {
    'cio_ignore': r_cio_ignore,
    'driver_override': r_driver_override,
    'available_instances': r_available,
    'apmask': r_apmask,
    'aqmask': r_aqmask,
    'matrix': r_matrix,
    'control_domains': r_control_domains,
}


# --------------------------------------------------------------------------- bind effects


def e_parent_on(kernel, dev, drv):
    """Register the bound device as an mdev parent with the driver's types."""
    kernel.register_parent(dev, drv.mdev_types, drv.mdev_pool, drv.mdev_driver)


def e_parent_off(kernel, dev, drv):
    """Unregister the mdev parent (removing its mdevs)."""
    if dev.mdev_parent:
        kernel.unregister_parent(dev)


def e_children_on(kernel, dev, drv):
    """Create the device's child devices (a subchannel's ccw device)."""
    for spec in dev.spec.get('children') or []:
        child = kernel.add_device(kernel.buses[spec['bus']], spec, dev.path)
        dev.children.append(child)


def e_children_off(kernel, dev, drv):
    """Delete the child devices, as unbinding io_subchannel does."""
    for child in dev.children:
        kernel.remove_device(child)
    dev.children = []


def e_attrs_on(kernel, dev, drv):
    """Add the attributes the driver creates on probe."""
    for name, value in ((dev.spec.get('driver_attrs') or {}).get(drv.name) or {}).items():
        kernel.tree.attr('%s/%s' % (dev.path, name), '%s\n' % value)


def e_attrs_off(kernel, dev, drv):
    """Remove the attributes the driver created."""
    for name in (dev.spec.get('driver_attrs') or {}).get(drv.name) or {}:
        kernel.tree.remove('%s/%s' % (dev.path, name))


EFFECTS = {
    'mdev_parent': (e_parent_on, e_parent_off),
    'children': (e_children_on, e_children_off),
    'attrs': (e_attrs_on, e_attrs_off),
}


def load(scenario, log_path=None):
    """Build a Kernel from a parsed scenario, adding the AP devices after their drivers."""
    kernel = Kernel(scenario, log_path)
    bus = kernel.buses.get('ap')
    for spec in getattr(bus, 'pending', []) if bus else []:
        kernel.add_device(bus, spec)
    for spec in scenario.get('mdevs') or []:
        kernel.start_mdev(spec)
    return kernel
