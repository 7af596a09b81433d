"""Conformance probe: the same operations against a root, observations out as JSON.

Run inside the QEMU guest against its real sysfs (root /) and on the host against the simulated
host's ``x86`` scenario; ``compare.py`` holds the two side by side. It looks at what the modules
read (device layout, links, values) and the errno of every refused write.

    python3 conformance.py ROOT OUT.json
"""

import errno
import json
import os
import sys
import time

NIC = '0000:00:02.0'     # QEMU -device e1000e,addr=02.0 / the x86 scenario's NIC
SPARE = '0000:00:03.0'   # QEMU -device edu,addr=03.0 (no native driver) / the x86 scenario's spare
NIC_DRIVER = 'e1000e'
MTTY = 'sys/class/mdev_bus/mtty/mdev_supported_types'
UUIDS = ['%08x-0000-4000-8000-0000000000%02x' % (0xc0ffee00 + i, i) for i in range(13)]


class Probe(object):
    """Reads and writes below one root, recording what it sees."""

    def __init__(self, root):
        self.root = root
        self.seen = {}

    def p(self, rel):
        """A path below the root."""
        return os.path.join(self.root, rel)

    def note(self, key, value):
        """Record one observation."""
        self.seen[key] = value

    def read(self, rel):
        """The text of a file (stripped), or the errno name when it cannot be read."""
        try:
            with open(self.p(rel)) as f:
                return f.read().strip()
        except OSError as exc:
            return errno.errorcode.get(exc.errno, str(exc.errno))

    def write(self, rel, data):
        """One write(2); 'ok' or the errno name."""
        try:
            fd = os.open(self.p(rel), os.O_WRONLY)
        except OSError as exc:
            return errno.errorcode.get(exc.errno, str(exc.errno))
        try:
            os.write(fd, data.encode())
            return 'ok'
        except OSError as exc:
            return errno.errorcode.get(exc.errno, str(exc.errno))
        finally:
            os.close(fd)

    def driver(self, bdf):
        """The bound driver of a PCI device, or None."""
        try:
            return os.path.basename(os.readlink(self.p('sys/bus/pci/devices/%s/driver' % bdf)))
        except OSError:
            return None

    def has(self, rel, names):
        """Which of ``names`` exist in a directory (only what the modules use is compared)."""
        return sorted(n for n in names if os.path.lexists(os.path.join(self.p(rel), n)))


def pci(probe):
    """driver_override, bind, unbind and drivers_probe on the NIC and the spare device."""
    d = 'sys/bus/pci/devices/%s' % NIC
    probe.note('nic.layout', probe.has(d, ['driver', 'driver_override', 'iommu_group', 'subsystem', 'vendor',
                                           'device', 'class']))
    probe.note('nic.driver.initial', probe.driver(NIC))
    probe.note('nic.override.initial', probe.read(d + '/driver_override'))
    probe.note('nic.override.set', probe.write(d + '/driver_override', 'vfio-pci\n'))
    probe.note('nic.override.read', probe.read(d + '/driver_override'))
    probe.note('nic.unbind', probe.write('sys/bus/pci/drivers/%s/unbind' % NIC_DRIVER, NIC + '\n'))
    probe.note('nic.driver.unbound', probe.driver(NIC))
    probe.note('errno.bind_other_than_override', probe.write('sys/bus/pci/drivers/%s/bind' % NIC_DRIVER, NIC + '\n'))
    probe.note('nic.probe', probe.write('sys/bus/pci/drivers_probe', NIC + '\n'))
    probe.note('nic.driver.override', probe.driver(NIC))
    probe.note('errno.bind_when_bound', probe.write('sys/bus/pci/drivers/vfio-pci/bind', NIC + '\n'))
    probe.note('errno.unbind_wrong_driver', probe.write('sys/bus/pci/drivers/%s/unbind' % NIC_DRIVER, NIC + '\n'))
    probe.write('sys/bus/pci/drivers/vfio-pci/unbind', NIC + '\n')
    probe.note('nic.override.none', probe.write(d + '/driver_override', 'none\n'))
    probe.write('sys/bus/pci/drivers_probe', NIC + '\n')
    probe.note('nic.driver.none', probe.driver(NIC))
    probe.note('nic.override.clear', probe.write(d + '/driver_override', '\n'))
    probe.note('nic.override.cleared', probe.read(d + '/driver_override'))
    probe.write('sys/bus/pci/drivers_probe', NIC + '\n')
    probe.note('nic.driver.default', probe.driver(NIC))
    probe.note('errno.override_too_long', probe.write(d + '/driver_override', 'x' * 5000))
    probe.note('errno.override_4095', probe.write(d + '/driver_override', 'x' * 4095))
    probe.write(d + '/driver_override', '\n')
    probe.note('errno.probe_unknown_device', probe.write('sys/bus/pci/drivers_probe', '0000:09:00.0\n'))
    probe.note('errno.unknown_driver_bind', probe.write('sys/bus/pci/drivers/nosuchdriver/bind', NIC + '\n'))
    s = 'sys/bus/pci/devices/%s' % SPARE
    probe.note('spare.driver.initial', probe.driver(SPARE))
    probe.write(s + '/driver_override', 'vfio-pci\n')
    probe.write('sys/bus/pci/drivers_probe', SPARE + '\n')
    probe.note('spare.driver.override', probe.driver(SPARE))
    probe.write(s + '/driver_override', '\n')
    probe.write('sys/bus/pci/drivers/vfio-pci/unbind', SPARE + '\n')
    probe.write('sys/bus/pci/drivers_probe', SPARE + '\n')
    probe.note('spare.driver.cleared', probe.driver(SPARE))


def mdev(probe):
    """The mdev core with mtty: types, create, remove, instances and the errno of bad writes."""
    for t in ('mtty-1', 'mtty-2'):
        for attr in ('name', 'device_api', 'available_instances'):
            probe.note('type.%s.%s' % (t, attr), probe.read('%s/%s/%s' % (MTTY, t, attr)))
        names = ['create', 'devices', 'name', 'device_api', 'available_instances', 'description']
        probe.note('type.%s.layout' % t, probe.has('%s/%s' % (MTTY, t), names))
    probe.note('type.create.mode', oct(os.stat(probe.p(MTTY + '/mtty-2/create')).st_mode & 0o777))
    probe.note('errno.read_create', probe.read(MTTY + '/mtty-2/create'))
    u = UUIDS[0]
    probe.note('create', probe.write(MTTY + '/mtty-2/create', u + '\n'))
    dev = 'sys/bus/mdev/devices/' + u
    probe.note('mdev.layout', probe.has(dev, ['mdev_type', 'remove', 'iommu_group', 'driver', 'subsystem']))
    probe.note('mdev.mdev_type', os.readlink(probe.p(dev + '/mdev_type')) if os.path.islink(probe.p(dev + '/mdev_type'))
               else None)
    probe.note('mdev.parent', os.path.basename(os.path.dirname(os.path.realpath(probe.p(dev)))))
    probe.note('mdev.in_type_devices', os.path.lexists(probe.p('%s/mtty-2/devices/%s' % (MTTY, u))))
    probe.note('available.after_create', [probe.read('%s/%s/available_instances' % (MTTY, t))
                                          for t in ('mtty-1', 'mtty-2')])
    probe.note('errno.create_duplicate', probe.write(MTTY + '/mtty-1/create', u + '\n'))
    probe.note('errno.create_not_uuid', probe.write(MTTY + '/mtty-1/create', 'not-a-uuid-not-a-uuid-not-a-uuid-xx\n'))
    probe.note('errno.create_short', probe.write(MTTY + '/mtty-1/create', '1234\n'))
    for extra in UUIDS[1:12]:
        probe.write(MTTY + '/mtty-2/create', extra + '\n')
    probe.note('available.exhausted', [probe.read('%s/%s/available_instances' % (MTTY, t))
                                       for t in ('mtty-1', 'mtty-2')])
    probe.note('errno.create_exhausted', probe.write(MTTY + '/mtty-2/create', UUIDS[12] + '\n'))
    probe.note('remove.zero', probe.write(dev + '/remove', '0\n'))
    probe.note('errno.remove_not_number', probe.write(dev + '/remove', 'yes\n'))
    for u in UUIDS[:12]:
        probe.write('sys/bus/mdev/devices/%s/remove' % u, '1\n')
    probe.note('mdev.removed', not os.path.lexists(probe.p(dev)))
    probe.note('errno.remove_missing', probe.write(dev + '/remove', '1\n'))
    probe.note('available.after_remove', [probe.read('%s/%s/available_instances' % (MTTY, t))
                                          for t in ('mtty-1', 'mtty-2')])


def uevents(probe):
    """On a real kernel only: pyudev's kernel monitor sees the bind and add events the modules wait for."""
    import pyudev
    context = pyudev.Context()
    seen = {}
    for subsystem, action, trigger in (
            ('pci', 'bind', lambda: (probe.write('sys/bus/pci/devices/%s/driver_override' % SPARE, 'vfio-pci\n'),
                                     probe.write('sys/bus/pci/drivers_probe', SPARE + '\n'))),
            ('mdev', 'add', lambda: probe.write(MTTY + '/mtty-1/create', UUIDS[0] + '\n'))):
        monitor = pyudev.Monitor.from_netlink(context, source='kernel')
        monitor.filter_by(subsystem)
        monitor.start()
        start = time.time()
        trigger()
        got = None
        while time.time() - start < 10:
            event = monitor.poll(timeout=1)
            if event is not None and event.action == action:
                got = event.sys_name
                break
        seen[action] = got
    probe.write('sys/bus/mdev/devices/%s/remove' % UUIDS[0], '1\n')
    probe.write('sys/bus/pci/devices/%s/driver_override' % SPARE, '\n')
    probe.write('sys/bus/pci/drivers/vfio-pci/unbind', SPARE + '\n')
    probe.note('kernel_only.uevent_bind', seen.get('bind'))
    probe.note('kernel_only.uevent_add', seen.get('add'))


def main():
    """Probe ROOT, write OUT.json."""
    root, out = sys.argv[1], sys.argv[2]
    probe = Probe(root)
    pci(probe)
    mdev(probe)
    if root == '/':
        uevents(probe)
    with open(out, 'w') as f:
        json.dump(probe.seen, f, indent=1, sort_keys=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
