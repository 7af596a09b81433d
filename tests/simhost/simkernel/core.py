"""The driver core of the simulated kernel: buses, drivers, devices and binding.

The subsystem modules (``css``, ``ap``, ``mdev``, ``pci``) add what is theirs to the registries
below when they are imported: attribute handlers and readers, bind effects, bus hooks and build
steps. The core names none of them.
"""

import errno as E
import json
import os
import re
import time

from .tree import Tree

PAGE_SIZE = 4096

# Attribute files name their handler (``Attr.handler``); the same name finds the write handler,
# function(kernel, owner, node, data), and the reader that computes the text, function(kernel, node).
HANDLERS = {}
READERS = {}
# A driver's ``effects`` name pairs of functions(kernel, dev, drv): one run on bind, one on unbind.
EFFECTS = {}
# Per bus name: function(kernel, drv, dev) answering True or False where the bus decides a match
# before the id table, None where it leaves it to the table.
BUS_MATCH = {}
# Per bus name: function(kernel, dev) that raises OSError where the bus refuses a driver_override.
OVERRIDE_CHECKS = {}
# Per bus name: function(kernel, drv, dev) returning the errno the bus's probe answers before the driver's own
# (pci_device_probe() refuses a VF its PF does not autoprobe), 0 where it leaves the probe to the driver.
PROBE_CHECKS = {}
# Functions(kernel, dev) run after a device was bound (the AP bus counts its bindings).
BOUND = []
# Functions(kernel, bus name, spec) that return True to keep a scenario device from being registered.
HOLDS = []
# Per bus name: function(kernel, dev) returning the uevent variables the bus adds (its ``uevent`` callback), or
# nothing where the device's scenario ``uevent`` entry says it all.
BUS_UEVENT = {}
# The actions a write to a ``uevent`` file takes (kobject_action_type(), lib/kobject_uevent.c).
UEVENT_ACTIONS = ('add', 'remove', 'change', 'move', 'online', 'offline', 'bind', 'unbind')
# Build steps, functions(kernel, scenario), by when they run: 'start' before the core's own
# directories, 'buses' once every bus has its drivers, 'devices' once the scenario's bus devices
# exist, 'load' once the Kernel is built (load()). The order is the tree's: readdir lists in it.
STEPS = {'start': [], 'buses': [], 'devices': [], 'load': []}


def handles(name):
    """Decorator: register the function as the write handler of attributes naming ``name``."""
    def register(func):
        """File ``func`` as the write handler and return it unchanged."""
        HANDLERS[name] = func
        return func
    return register


def reads(name):
    """Decorator: register the function as the reader of attributes naming ``name``."""
    def register(func):
        """File ``func`` as the reader and return it unchanged."""
        READERS[name] = func
        return func
    return register


def build_step(phase):
    """Decorator: run the function at ``phase`` of building a host (a key of ``STEPS``)."""
    def register(func):
        """File ``func`` as the build step and return it unchanged."""
        STEPS[phase].append(func)
        return func
    return register


def fail(code):
    """Raise the OSError the kernel would return for ``code``."""
    raise OSError(code, os.strerror(code))


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


_KSTRTOUL = re.compile(r'\+?(0[xX](?=[0-9a-fA-F])[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\n?')
_KSTRTOUL_16 = re.compile(r'\+?(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]+)\n?')


def kstrtoul(text, base=0):
    """Parse a number exactly as the kernel's kstrtoul(s, base) does (base 0 or 16), raising EINVAL (or ERANGE).

    One optional ``+``; ``0x`` only before a hex digit; with base 0 a leading 0 is octal; one
    trailing newline; nothing else: no blanks, no ``-``, no ``_``.
    """
    # Deliberately not shared with the library's parser: a mistake there must not be hidden here.
    if base == 16:
        m = _KSTRTOUL_16.fullmatch(text)
        if not m:
            fail(E.EINVAL)
        value = int(m.group(1), 16)
        if value >= 1 << 64:
            fail(E.ERANGE)
        return value
    m = _KSTRTOUL.fullmatch(text)
    if not m:
        fail(E.EINVAL)
    digits = m.group(1)
    value = int(digits, 16) if digits[:2].lower() == '0x' else int(digits, 8) if digits[0] == '0' else int(digits)
    if value >= 1 << 64:
        fail(E.ERANGE)
    return value


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
        self.spec = spec  # the scenario entry: what a subsystem reads of its own
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


class Kernel(object):
    """The simulated host: the tree, the buses and the write log; the subsystems' build steps add the rest."""

    def __init__(self, scenario, log_path=None, event_path=None):
        self.tree = Tree()
        self.buses = {}
        # Every uevent the kernel sent (kobject_uevent_env), in order: in ``events``, or with an
        # ``event_path`` appended to that file (``pending`` until the next flush).
        self.events = []
        self.pending = []
        self.record_events = scenario.get('uevents', True)  # a scenario may do without (scale: timing)
        self.event_path = event_path
        self.seqnum = 0
        # power/ in every device directory needs CONFIG_PM, which s390 kernels do not have
        self.pm = scenario.get('pm', True)
        self.log_path = log_path
        self.start_time = time.time()
        self._build(scenario)

    # -- construction ---------------------------------------------------------

    def run_steps(self, phase, scenario):
        """Run the subsystems' build steps of ``phase``."""
        for step in STEPS[phase]:
            step(self, scenario)

    def _build(self, scenario):
        """Make the host of ``scenario``: buses, drivers and devices, with the subsystems' steps between."""
        t = self.tree
        self.run_steps('start', scenario)
        t.mkdir('/sys/kernel/iommu_groups')
        t.mkdir('/sys/module')
        for bus_name, bus_spec in (scenario.get('buses') or {}).items():
            self.add_bus(bus_name, bus_spec or {})
        self.run_steps('buses', scenario)
        for bus_name, bus_spec in (scenario.get('buses') or {}).items():
            for spec in (bus_spec or {}).get('devices') or []:
                if not any(hold(self, bus_name, spec) for hold in HOLDS):
                    self.add_device(self.buses[bus_name], spec)
        self.run_steps('devices', scenario)
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
        t.attr(bus.path + '/uevent', '', 0o200, 'uevent', bus)
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
        t.attr(drv.path + '/uevent', '', 0o200, 'uevent', drv)
        t.mkdir('/sys/module/' + drv.module)
        t.link(drv.path + '/module', '/sys/module/' + drv.module)
        return drv

    def device_files(self, dev):
        """Create a device's directory, its scenario attributes, bus links and IOMMU group."""
        t = self.tree
        t.mkdir(dev.path)
        t.attr(dev.path + '/uevent', self._uevent(dev), 0o644, 'uevent', dev)
        if self.pm:
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
    def uevent_vars(dev):
        """dev_uevent()'s variables of a device: its driver, then the bus's (or the scenario's) own."""
        pairs = [('DRIVER', dev.driver.name)] if dev.driver else []
        hook = BUS_UEVENT.get(dev.bus.name) if dev.bus is not None else None
        pairs += list((hook(dev) if hook else None) or (dev.spec.get('uevent') or {}).items())
        return [(k, str(v)) for k, v in pairs]

    @classmethod
    def _uevent(cls, dev):
        """The text of a device's uevent file: its driver, then the scenario's variables."""
        return ''.join('%s=%s\n' % kv for kv in cls.uevent_vars(dev))

    # -- uevents --------------------------------------------------------------

    def send_uevent(self, action, devpath, subsystem, env=()):
        """kobject_uevent_env(): record one uevent (ACTION, DEVPATH, SUBSYSTEM, the caller's and the
        device's variables, SEQNUM) and append it to the event file."""
        self.seqnum += 1
        if not self.record_events:
            return None
        pairs = [('ACTION', action), ('DEVPATH', devpath), ('SUBSYSTEM', subsystem)] + list(env)
        pairs.append(('SEQNUM', str(self.seqnum)))
        event = {'seqnum': self.seqnum, 'action': action, 'devpath': devpath, 'subsystem': subsystem,
                 'env': dict(pairs)}
        # with an event file the events go there (flush_events, after each write and once built), else
        # they stay in memory for in-process tests; a large host sends a hundred thousand while it comes up
        (self.pending if self.event_path else self.events).append(event)
        return event

    def flush_events(self):
        """Append the events sent since the last flush to the event file, in one write."""
        if self.pending:
            with open(self.event_path, 'a') as f:
                f.write(''.join(json.dumps(e) + '\n' for e in self.pending))
            self.pending = []

    @staticmethod
    def subsystem_of(dev):
        """A device's SUBSYSTEM: its bus, or the class a scenario's class device names (``class`` or
        the directory under ``virtual/``); None where dev_uevent_filter() drops its events."""
        if dev.bus is not None:
            return dev.bus.name
        if dev.spec.get('class'):
            return dev.spec['class']
        parts = dev.path.split('/')
        return parts[4] if len(parts) > 5 and parts[3] == 'virtual' else None

    def device_uevent(self, dev, action, env=()):
        """kobject_uevent_env() on a device: the caller's variables, then dev_uevent()'s."""
        subsystem = self.subsystem_of(dev)
        if subsystem is None or not self.record_events:
            return None
        return self.send_uevent(action, dev.path[len('/sys'):], subsystem, list(env) + self.uevent_vars(dev))

    def add_device(self, bus, spec, parent_path='/sys/devices'):
        """Create a device from its scenario entry and bind it as the scenario says."""
        dev = Device(bus, spec['name'], '%s/%s' % (parent_path, spec.get('path', spec['name'])), spec)
        if dev.name in bus.devices:
            raise ValueError('duplicate device %s on bus %s' % (dev.name, bus.name))
        bus.devices[dev.name] = dev
        self.device_files(dev)
        self.device_uevent(dev, 'add')  # device_add(): KOBJ_ADD, then bus_probe_device()
        if spec.get('override'):
            dev.override = spec['override']
        want = spec.get('driver')
        if want:
            self.bind(dev, bus.drivers[want])
        elif spec.get('probe', True) and want is None:
            self.probe(dev)
        return dev

    def remove_device(self, dev):
        """Remove a device (and its children) from the tree and its bus."""
        if dev.driver:
            self.unbind(dev)
        for child in list(dev.children):
            self.remove_device(child)
        self.device_uevent(dev, 'remove')  # device_del(): KOBJ_REMOVE once the driver is gone
        self.tree.remove(dev.path)
        if dev.bus is not None:
            dev.bus.devices.pop(dev.name, None)
            self.tree.remove('%s/devices/%s' % (dev.bus.path, dev.name))

    # -- binding ------------------------------------------------------------

    def matches(self, drv, dev):
        """The bus's match function: override first, then the bus's own hook, then the driver's id table."""
        if dev.override is not None and dev.override != drv.name:
            return False
        hook = BUS_MATCH.get(dev.bus.name)
        decided = hook(self, drv, dev) if hook else None
        if decided is not None:
            return decided
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

    def _probe_error(self, drv, dev):
        """The errno the bus's or the scenario's probe of ``dev`` by ``drv`` returns, 0 if it accepts."""
        check = PROBE_CHECKS.get(dev.bus.name)
        code = check(self, drv, dev) if check else 0
        if code:
            return code
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
        self.device_uevent(dev, 'bind')  # driver_bound(): KOBJ_BIND once probe returned, DRIVER set
        for hook in BOUND:
            hook(self, dev)

    def unbind(self, dev):
        """Detach ``dev`` from its driver and undo the bind effects."""
        drv = dev.driver
        for effect in reversed(drv.effects):
            EFFECTS[effect][1](self, dev, drv)
        self.tree.remove(dev.path + '/driver')
        self.tree.remove('%s/%s' % (drv.path, dev.name))
        dev.driver = None
        self.tree.get(dev.path + '/uevent').value = self._uevent(dev)
        self.device_uevent(dev, 'unbind')  # __device_release_driver(): KOBJ_UNBIND, DRIVER already gone

    # -- file operations ----------------------------------------------------

    def read(self, node):
        """Return the text of an attribute, computed where the kernel computes it."""
        reader = READERS.get(node.handler)
        return reader(self, node) if reader else node.value

    def write(self, path, node, data):
        """Run the attribute's handler for a write and log it; raise OSError on failure.

        A zero-byte write to a sysfs attribute never reaches its store function (sysfs_kf_write
        returns 0 first), so it changes nothing; /proc files see it.
        """
        code = 0
        try:
            handler = HANDLERS.get(node.handler)
            if handler is None:
                fail(E.EACCES if not node.mode & 0o222 else E.EIO)
            if not data and path.startswith('/sys/'):
                return
            handler(self, node.owner, node, data)
        except OSError as exc:
            code = exc.errno
            raise
        finally:
            self.log(path, data, code)
            self.flush_events()

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


def load(scenario, log_path=None, event_path=None):
    """Build a Kernel from a parsed scenario, then run the subsystems' load steps."""
    kernel = Kernel(scenario, log_path, event_path)
    kernel.run_steps('load', scenario)
    kernel.flush_events()
    return kernel


# --------------------------------------------------------------------------- handlers


@handles('noop')
def h_noop(kernel, owner, node, data):
    """Accept and ignore the write (uevent, drivers_autoprobe)."""


@handles('uevent')
def h_uevent(kernel, owner, node, data):
    """A write to a ``uevent`` file: kobject_synth_uevent() sends the named action (EINVAL otherwise)
    with SYNTH_UUID=0, for a device (with its variables), a bus (SUBSYSTEM=bus, DEVPATH=/bus/<name>)
    or a driver (SUBSYSTEM=drivers). Further words (a UUID and KEY=VALUE pairs) are not modelled."""
    words = data.split()
    if not words or words[0] not in UEVENT_ACTIONS:
        fail(E.EINVAL)
    env = [('SYNTH_UUID', '0')]
    if isinstance(owner, Bus):
        kernel.send_uevent(words[0], '/bus/' + owner.name, 'bus', env)
    elif isinstance(owner, Driver):
        kernel.send_uevent(words[0], owner.path[len('/sys'):], 'drivers', env)
    elif isinstance(owner, Device):
        kernel.device_uevent(owner, words[0], env)
    # anything else (css0, its channel paths, vfio-dev) is a device of no bus or class: filtered out


@handles('driver_override')
def h_driver_override(kernel, dev, node, data):
    """driver_set_override(): reject long values, cut at the first newline, empty clears."""
    if len(data) >= PAGE_SIZE - 1:  # driver_set_override(): len >= PAGE_SIZE - 1 (4095 fails on 6.1)
        fail(E.EINVAL)
    check = OVERRIDE_CHECKS.get(dev.bus.name)
    if check:
        check(kernel, dev)
    value = data.split('\n', 1)[0]
    dev.override = value or None


@reads('driver_override')
def r_driver_override(kernel, node):
    """Show the override, ``(null)`` when unset (or the bus's own unset text)."""
    dev = node.owner
    if dev.override is not None:
        return dev.override + '\n'
    return dev.spec.get('override_unset', '(null)') + '\n'


@handles('drivers_probe')
def h_drivers_probe(kernel, bus, node, data):
    """bus drivers_probe: attach a driver to an unbound device; ENODEV if no such device."""
    dev = kernel.find(bus, data)
    if dev is None:
        fail(E.ENODEV)
    kernel.probe(dev)


@handles('bind')
def h_bind(kernel, drv, node, data):
    """driver bind: ENODEV unless the device exists and matches, EBUSY if bound."""
    dev = kernel.find(drv.bus, data)
    if dev is None or not kernel.matches(drv, dev):
        fail(E.ENODEV)
    kernel.bind(dev, drv)


@handles('unbind')
def h_unbind(kernel, drv, node, data):
    """driver unbind: ENODEV unless the device is bound to this driver."""
    dev = kernel.find(drv.bus, data)
    if dev is None or dev.driver is not drv:
        fail(E.ENODEV)
    kernel.unbind(dev)


# --------------------------------------------------------------------------- bind effects


def e_attrs_on(kernel, dev, drv):
    """Add the attributes the driver creates on probe."""
    for name, value in ((dev.spec.get('driver_attrs') or {}).get(drv.name) or {}).items():
        kernel.tree.attr('%s/%s' % (dev.path, name), '%s\n' % value)


def e_attrs_off(kernel, dev, drv):
    """Remove the attributes the driver created."""
    for name in (dev.spec.get('driver_attrs') or {}).get(drv.name) or {}:
        kernel.tree.remove('%s/%s' % (dev.path, name))


EFFECTS['attrs'] = (e_attrs_on, e_attrs_off)
