"""Conformance probe: the same operations against a root, observations out as JSON.

Run inside a QEMU guest against its real sysfs (root /) and on the host against the simulated
host; ``compare.py`` holds the two side by side. It looks at what the modules read (device
layout, links, values) and the errno of every refused write.

    python3 conformance.py ROOT OUT.json                      x86: PCI, IOMMU groups, SR-IOV, mtty (the x86 scenario)
    python3 conformance.py ROOT OUT.json CCW_DEVICE CCW_DEVICE2   s390: css, ccw, cio_ignore, vfio_ccw

The s390 part runs in the s390x lab's guest (tests/kernel/s390, Debian's s390x Python) and against
the ``seed`` scenario. Its two devices are I/O devices bound through io_subchannel, online, not
QDIO: the guest's virtio disks 0.0.0313 and 0.0.0314, the seed's DASDs 0.0.2b09 and 0.0.2b0a.
What differs by nature (QEMU numbers subchannels in creation order, its devices are virtio
3832/02 and not DASDs) is normalised here: device numbers and subchannel names are replaced by
placeholders, hex values are recorded as their shape. Standard library only, Python 3.6+.
"""

import errno
import json
import os
import re
import stat
import sys
import time

NIC = '0000:00:02.0'     # QEMU -device e1000e,addr=02.0 / the x86 scenario's NIC
SPARE = '0000:00:03.0'   # QEMU -device edu,addr=03.0 (no native driver) / the x86 scenario's spare
NIC_DRIVER = 'e1000e'
# The IOMMU group of a PCIe-to-PCI bridge: QEMU -device pci-bridge,addr=04.0 with a two-function e1000 at its
# 01.0/01.1 and an ES1370 at 02.0 / the x86 scenario's bridge group. The kernel numbers the bridge's bus 01
# and the group 4, the scenario bus 02 (its GPU has bus 01) and group 9: devices behind the bridge are named
# by slot.function ("behind:01.1"), group numbers are not compared.
BRIDGE = '0000:00:04.0'
# QEMU's NVMe with SR-IOV (-device nvme,addr=05.0,sriov_max_vfs=7) / the x86 scenario's PF
PF = '0000:00:05.0'
IDS = ('vendor', 'device', 'class', 'subsystem_vendor', 'subsystem_device', 'revision')
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


def group_of(probe, bdf):
    """The IOMMU group number of a PCI device, or None."""
    try:
        return os.path.basename(os.readlink(probe.p('sys/bus/pci/devices/%s/iommu_group' % bdf)))
    except OSError:
        return None


def behind(probe):
    """The devices on the bridge's secondary bus (the BDF entries of its directory)."""
    return sorted(n for n in os.listdir(probe.p('sys/bus/pci/devices/' + BRIDGE))
                  if re.match(r'^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$', n))


def ids(probe, bdf):
    """The id attributes of a PCI device."""
    return dict((k, probe.read('sys/bus/pci/devices/%s/%s' % (bdf, k))) for k in IDS)


def bind_vfio(probe, bdf):
    """driver_override vfio-pci, the current driver unbound, drivers_probe: the write's answer."""
    d = 'sys/bus/pci/devices/%s' % bdf
    probe.write(d + '/driver_override', 'vfio-pci\n')
    if probe.driver(bdf):
        probe.write(d + '/driver/unbind', bdf + '\n')
    return probe.write('sys/bus/pci/drivers_probe', bdf + '\n')


def give_back(probe, bdf):
    """Clear driver_override, leave vfio-pci, probe the default driver again."""
    d = 'sys/bus/pci/devices/%s' % bdf
    probe.write(d + '/driver_override', '\n')
    if probe.driver(bdf) == 'vfio-pci':
        probe.write('sys/bus/pci/drivers/vfio-pci/unbind', bdf + '\n')
    probe.write('sys/bus/pci/drivers_probe', bdf + '\n')


def groups(probe):
    """The bridge's IOMMU group: who is in it, with which ids and drivers, and vfio-pci on the bridge and behind it."""
    kids = behind(probe)
    name = dict((b, 'behind:' + b[-4:]) for b in kids)
    name[BRIDGE] = 'bridge'
    g = group_of(probe, BRIDGE)
    members = sorted(os.listdir(probe.p('sys/kernel/iommu_groups/%s/devices' % g))) if g else []
    probe.note('group.bridge.members', sorted(name.get(m, m) for m in members))
    probe.note('group.bridge.behind', [name[b] for b in kids])
    probe.note('group.bridge.behind_same_group', [group_of(probe, b) == g for b in kids])
    probe.note('group.bridge.member_links', sorted(
        name.get(m, m) for m in members
        if os.path.realpath(probe.p('sys/kernel/iommu_groups/%s/devices/%s' % (g, m)))
        == os.path.realpath(probe.p('sys/bus/pci/devices/' + m))))
    probe.note('group.bridge.ids', ids(probe, BRIDGE))
    probe.note('group.bridge.driver', probe.driver(BRIDGE))
    for b in kids:
        probe.note('group.%s.ids' % name[b], ids(probe, b))
        probe.note('group.%s.driver' % name[b], probe.driver(b))
    # vfio-pci takes only normal headers: the bridge's probe fails (drivers_probe swallows it, bind answers)
    d = 'sys/bus/pci/devices/%s' % BRIDGE
    probe.write(d + '/driver_override', 'vfio-pci\n')
    probe.note('group.bridge.vfio_probe', probe.write('sys/bus/pci/drivers_probe', BRIDGE + '\n'))
    probe.note('group.bridge.vfio_probe.driver', probe.driver(BRIDGE))
    probe.note('errno.group.bridge_vfio_bind', probe.write('sys/bus/pci/drivers/vfio-pci/bind', BRIDGE + '\n'))
    probe.write(d + '/driver_override', '\n')
    # one function alone on vfio-pci (the kernel allows the split: VFIO refuses only to open the group)
    probe.note('group.split.probe', bind_vfio(probe, kids[0]))
    probe.note('group.split.drivers', [probe.driver(b) for b in kids])
    for b in kids[1:]:
        probe.note('group.%s.vfio_probe' % name[b], bind_vfio(probe, b))
    probe.note('group.all.drivers', [probe.driver(b) for b in [BRIDGE] + kids])
    for b in kids:
        give_back(probe, b)
    probe.note('group.back.drivers', [probe.driver(b) for b in [BRIDGE] + kids])


def wait_unbound(probe, bdfs, timeout):
    """Wait until none of ``bdfs`` has a driver (the nvme driver lets go of a VF it cannot start)."""
    return wait(lambda: all(probe.driver(b) is None for b in bdfs), timeout)


def vfs(probe):
    """The PF's virtfnN links and their targets, relative to the PF."""
    d = probe.p('sys/bus/pci/devices/' + PF)
    return sorted((n, os.readlink(os.path.join(d, n))) for n in os.listdir(d) if n.startswith('virtfn'))


def sriov(probe):
    """SR-IOV on the NVMe PF: its attributes, the errno of sriov_numvfs writes, the VFs, their links and groups."""
    d = 'sys/bus/pci/devices/%s' % PF
    n = d + '/sriov_numvfs'
    names = ['sriov_totalvfs', 'sriov_numvfs', 'sriov_offset', 'sriov_stride', 'sriov_vf_device',
             'sriov_drivers_autoprobe', 'sriov_vf_total_msix']
    probe.note('sriov.pf.layout', probe.has(d, names))
    probe.note('sriov.pf.modes', dict((f, oct(os.stat(probe.p(d + '/' + f)).st_mode & 0o777))
                                      for f in probe.has(d, names)))
    for f in names:
        probe.note('sriov.pf.%s' % f, probe.read(d + '/' + f))
    probe.note('sriov.pf.ids', ids(probe, PF))
    probe.note('sriov.pf.driver', probe.driver(PF))
    for label, data in (('garbage', 'garbage\n'), ('empty', '\n'), ('negative', '-1\n'), ('above_total', '8\n'),
                        ('above_u16', '65536\n')):
        probe.note('errno.sriov.numvfs_%s' % label, probe.write(n, data))
    probe.note('sriov.numvfs.zero_when_zero', probe.write(n, '0\n'))
    probe.note('errno.sriov.autoprobe_garbage', probe.write(d + '/sriov_drivers_autoprobe', 'x\n'))
    # two VFs with drivers_autoprobe 1: nvme takes them, fails to start them (no resources) and lets go
    probe.note('sriov.enable.hex', probe.write(n, '0x2\n'))
    probe.note('sriov.enable.numvfs', probe.read(n))
    probe.note('sriov.virtfn', vfs(probe))
    vf1 = '0000:00:05.1'
    v = 'sys/bus/pci/devices/%s' % vf1
    probe.note('sriov.vf.physfn', os.readlink(probe.p(v + '/physfn')) if os.path.islink(probe.p(v + '/physfn'))
               else None)
    probe.note('sriov.vf.ids', ids(probe, vf1))
    probe.note('sriov.vf.layout', probe.has(v, ['driver_override', 'physfn', 'iommu_group', 'sriov_vf_msix_count',
                                                'vendor', 'device', 'class', 'subsystem']))
    vfg = [group_of(probe, b) for b in ('0000:00:05.1', '0000:00:05.2')]
    probe.note('sriov.vf.groups_own', [sorted(os.listdir(probe.p('sys/kernel/iommu_groups/%s/devices' % x)))
                                       for x in vfg if x])
    probe.note('sriov.vf.groups_new', [x not in (None, group_of(probe, PF), group_of(probe, BRIDGE)) for x in vfg]
               + [len(set(vfg)) == 2])
    probe.note('sriov.vf.driver_settled', wait_unbound(probe, ['0000:00:05.1', '0000:00:05.2'], 5))
    probe.note('errno.sriov.numvfs_change', probe.write(n, '3\n'))
    probe.note('sriov.numvfs.same', probe.write(n, '2\n'))
    probe.note('errno.sriov.numvfs_above_when_enabled', probe.write(n, '8\n'))
    probe.note('sriov.numvfs.after_refusals', probe.read(n))
    # a VF on vfio-pci (driver_override), then 0: the VFs go, vfio-pci's (unopened) VF with them
    probe.note('sriov.vf.vfio_probe', bind_vfio(probe, vf1))
    probe.note('sriov.vf.vfio_driver', probe.driver(vf1))
    probe.note('sriov.disable', probe.write(n, '0\n'))
    probe.note('sriov.disabled.gone', [not os.path.lexists(probe.p(v)), vfs(probe)])
    # drivers_autoprobe 0: VFs come without a driver
    probe.note('sriov.autoprobe.off', probe.write(d + '/sriov_drivers_autoprobe', '0\n'))
    probe.note('sriov.autoprobe.read', probe.read(d + '/sriov_drivers_autoprobe'))
    probe.note('sriov.enable.all', probe.write(n, '7\n'))
    probe.note('sriov.enable.all.virtfn', vfs(probe))
    probe.note('sriov.enable.all.drivers', [probe.driver('0000:00:05.%d' % i) for i in range(1, 8)])
    probe.note('sriov.noautoprobe.vfio_probe', bind_vfio(probe, vf1))
    probe.note('sriov.noautoprobe.vfio_driver', probe.driver(vf1))
    give_back(probe, vf1)
    probe.note('sriov.noautoprobe.given_back', probe.driver(vf1))
    probe.note('sriov.disable.all', probe.write(n, '0\n'))
    probe.write(d + '/sriov_drivers_autoprobe', '1\n')
    # without a PF driver there is no sriov_configure
    probe.write('sys/bus/pci/drivers/%s/unbind' % probe.driver(PF), PF + '\n')
    probe.note('errno.sriov.numvfs_no_driver', probe.write(n, '1\n'))
    probe.note('errno.sriov.numvfs_zero_no_driver', probe.write(n, '0\n'))
    probe.write('sys/bus/pci/drivers_probe', PF + '\n')
    probe.note('sriov.pf.driver.back', probe.driver(PF))


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


# --------------------------------------------------------------------------- s390: css, ccw, cio_ignore, vfio_ccw

CSS = 'sys/bus/css'
CCW = 'sys/bus/ccw'
CIO = 'proc/cio_ignore'
CCW_TYPE = 'mdev_supported_types/vfio_ccw-io'
# Device numbers the cio_ignore commands use: present on neither the guest nor the seed host.
S390_UUIDS = ['%08x-5390-4000-8000-0000000000%02x' % (0x5e1f0000 + i, i) for i in range(4)]
HEX2 = r'[0-9a-f]{2}'
SHAPES = {  # the form of values that differ by device (QEMU's virtio disks, the seed's DASDs)
    'chpids': r'^(%s ){8}\n$' % HEX2,
    'pimpampom': r'^%s %s %s\n$' % (HEX2, HEX2, HEX2),
    'dev_busid': r'^0\.[0-3]\.[0-9a-f]{4}\n$',
    'vpm': r'^%s\n$' % HEX2,
    'cutype': r'^[0-9a-f]{4}/[0-9a-f]{2}\n$',
    'devtype': r'^([0-9a-f]{4}/[0-9a-f]{2}|n/a)\n$',
    'modalias': r'^ccw:t[0-9A-F]{4}m[0-9A-F]{2}(dt[0-9A-F]{4}dm[0-9A-F]{2}|dtdm)\n$',
}


def raw(probe, rel):
    """The exact text of a file, or the errno name."""
    try:
        with open(probe.p(rel)) as f:
            return f.read()
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


def shape(probe, rel, name):
    """'ok' if the file's text has the form SHAPES[name] gives, else the text itself."""
    text = raw(probe, rel)
    return 'ok' if re.match(SHAPES[name], text) else text


def entries(probe, rel, names=None):
    """A directory's entries, subchannel/ccw/chp names replaced by placeholders; only ``names`` if given."""
    try:
        found = os.listdir(probe.p(rel))
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    out = set()
    for n in found:
        if names is not None and n not in names:
            continue
        if re.match(r'^0\.[0-3]\.[0-9a-f]{4}$', n):
            n = '<busid>'
        elif re.match(r'^chp0\.[0-9a-f]{2}$', n):
            n = '<chp>'
        elif re.match(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', n):
            n = '<uuid>'
        out.add(n)
    return sorted(out)


def modes(probe, rel):
    """{file: octal mode} of the regular files of a directory."""
    out = {}
    for n in sorted(os.listdir(probe.p(rel))):
        st = os.lstat(probe.p(rel + '/' + n))
        if stat.S_ISREG(st.st_mode):
            out[n] = oct(st.st_mode & 0o777)
    return out


def target(probe, rel, base=''):
    """Where a link leads, relative to ``base`` (a path below the root), or None."""
    if not os.path.islink(probe.p(rel)):
        return None
    return os.path.relpath(os.path.realpath(probe.p(rel)), os.path.realpath(probe.p(base)))


def uevent_keys(probe, rel):
    """The variable names of a uevent file, in order."""
    text = raw(probe, rel)
    return [line.split('=', 1)[0] for line in text.splitlines()] if '=' in text else text


def drv_of(probe, rel):
    """The driver a device directory is bound to, or None."""
    try:
        return os.path.basename(os.readlink(probe.p(rel + '/driver')))
    except OSError:
        return None


def subchannel_of(probe, busid):
    """The subchannel whose dev_busid is ``busid`` (its name under /sys/bus/css/devices), or None."""
    for name in sorted(os.listdir(probe.p(CSS + '/devices'))):
        if raw(probe, '%s/devices/%s/dev_busid' % (CSS, name)).strip() == busid:
            return name
    return None


def settle(probe):
    """Wait for the channel subsystem as the cio_ignore module does (/proc/cio_settle)."""
    return probe.write('proc/cio_settle', '1\n')


def wait(cond, timeout):
    """True once ``cond()`` holds (polling every 50 ms), False after ``timeout`` seconds."""
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            return False
        time.sleep(0.05)
    return True


def cio_ignore(probe):
    """/proc/cio_ignore: command and device-list parsing, partial application, the text read back."""
    probe.note('cio.mode', [oct(os.stat(probe.p(f)).st_mode & 0o777) for f in (CIO, 'proc/cio_settle')])
    probe.note('cio.add_all', probe.write(CIO, 'add all\n'))
    probe.note('cio.read.all', raw(probe, CIO))
    steps = [
        ('free_one', 'free 0.0.0380\n'), ('bogus_command', 'bogus 0.0.0381'), ('upper_command', 'FREE 0.0.0382'),
        ('free_bare', 'free'), ('free_bare_nl', 'free\n'), ('add_bare', 'add'),
        ('leading_space', ' free 0.0.0383'), ('two_spaces', 'free  0.0.0384'),
        ('space_after_comma', 'free 0.0.0385, 0.0.0386'), ('cssid_two_digits', 'free 00.0.0387'),
        ('trailing_space', 'free 0.0.0388 '), ('trailing_tab', 'free 0.0.0389\t'),
        ('three_digit_devno', 'free 0.0.38a'), ('bare_devno', 'free 38b'), ('bare_0x', 'free 0x38c'),
        ('bare_8_digits', 'free 0000038d'), ('bare_too_big', 'free 12345'), ('cssid_fe', 'free fe.0.038e'),
        ('ssid_4', 'free 0.4.0000'), ('range_reversed', 'free 0.0.0391-0.0.0390'),
        ('range_across_ssid', 'free 0.0.ff00-0.1.0001'), ('bad_item_after_good', 'free 0.0.0392,zzz'),
        ('trailing_comma', 'free 0.0.0393,'), ('empty_item', 'free 0.0.0394,,0.0.0395'),
        ('space_separated', 'free 0.0.0396 0.0.0397'), ('range_with_negation', 'free 0.0.3c00-0.0.3cff,!0.0.3c05'),
        ('bare_range', 'free 3d0-3df'), ('negate_nothing', 'free !'), ('ipldev', 'free ipldev'),
        ('condev', 'free condev'), ('add_back', 'add 0.0.0380'), ('add_negated', 'add !0.0.0398'),
        ('purge_now', 'purge now'), ('purge', 'purge\n'), ('purgex', 'purgex'),
    ]
    for label, data in steps:
        probe.note('cio.%s' % label, probe.write(CIO, data))
    # every step above frees or adds numbers nobody has: the state they leave is the same on any host
    probe.note('cio.read.after_steps', raw(probe, CIO))
    probe.note('cio.free_all', probe.write(CIO, 'free all\n'))
    probe.note('cio.read.none', raw(probe, CIO))
    probe.note('cio.settle', settle(probe))
    probe.note('cio.read_settle', probe.read('proc/cio_settle') in ('', 'EACCES', 'EINVAL', 'EIO'))


def css_layout(probe, sch, busid):
    """A subchannel bound to io_subchannel, its ccw device, css0 and the buses."""
    d = '%s/devices/%s' % (CSS, sch)
    probe.note('css.bus.layout', entries(probe, CSS))
    probe.note('ccw.bus.layout', entries(probe, CCW))
    probe.note('css.css0.layout', entries(probe, 'sys/devices/css0'))
    probe.note('css.css0.real_cssid', probe.read('sys/devices/css0/real_cssid'))
    probe.note('css.css0.defunct', entries(probe, 'sys/devices/css0/defunct'))
    probe.note('css.sch.path', target(probe, d, 'sys/devices/css0') == sch)
    probe.note('css.sch.layout', entries(probe, d))
    probe.note('css.sch.modes', modes(probe, d))
    probe.note('css.sch.driver', drv_of(probe, d))
    for attr in ('type', 'modalias', 'driver_override', 'uevent'):
        probe.note('css.sch.%s' % attr, raw(probe, '%s/%s' % (d, attr)))
    for attr in ('chpids', 'pimpampom', 'dev_busid', 'vpm'):
        probe.note('css.sch.%s.shape' % attr, shape(probe, '%s/%s' % (d, attr), attr))
    probe.note('css.sch.dev_busid.is_device', raw(probe, d + '/dev_busid') == busid + '\n')
    probe.note('css.sch.subsystem', target(probe, d + '/subsystem', CSS) == '.')
    probe.note('css.drivers_autoprobe', raw(probe, CSS + '/drivers_autoprobe'))
    c = '%s/devices/%s' % (CCW, busid)
    probe.note('ccw.under_subchannel', target(probe, c, d) == busid)
    names = ['availability', 'cmb_enable', 'cutype', 'devtype', 'driver', 'driver_override', 'modalias', 'online',
             'subsystem', 'uevent', 'power']
    probe.note('ccw.layout', entries(probe, c, names))
    probe.note('ccw.modes', dict((k, v) for k, v in modes(probe, c).items() if k in names))
    probe.note('ccw.online', raw(probe, c + '/online'))
    probe.note('ccw.availability', raw(probe, c + '/availability'))
    probe.note('ccw.cmb_enable', raw(probe, c + '/cmb_enable'))
    for attr in ('cutype', 'devtype', 'modalias'):
        probe.note('ccw.%s.shape' % attr, shape(probe, '%s/%s' % (c, attr), attr))
    probe.note('ccw.cutype', probe.read(c + '/cutype'))
    probe.note('ccw.driver', drv_of(probe, c))
    probe.note('ccw.uevent.keys', uevent_keys(probe, c + '/uevent'))
    ev = dict(line.split('=', 1) for line in raw(probe, c + '/uevent').splitlines() if '=' in line)
    cutype = probe.read(c + '/cutype')
    probe.note('ccw.uevent.consistent', [ev.get('MODALIAS') == probe.read(c + '/modalias'),
                                         ev.get('DRIVER') == drv_of(probe, c),
                                         '%s/%s' % (ev.get('CU_TYPE'), ev.get('CU_MODEL')) == cutype.upper()])


def ccw_online(probe, busid):
    """Writes to a ccw device's online attribute: 0/1 (base 16) or force; EINVAL when nothing changes."""
    c = '%s/devices/%s/online' % (CCW, busid)
    for label, data in (('one_when_online', '1\n'), ('garbage', 'x\n'), ('two', '2\n'), ('leading_space', ' 0\n'),
                        ('offline', '0\n'), ('offline_read', None), ('zero_when_offline', '0\n'), ('hex_prefix', '0x1\n'),
                        ('online_read', None), ('offline_no_newline', '0'), ('online_plus', '+1'),
                        ('force_when_online', 'force\n'), ('offline_last', '0\n'), ('force', 'force'), ('read', None)):
        probe.note('ccw.online.%s' % label, raw(probe, c) if data is None else probe.write(c, data))
    # the device must be online again for what follows
    if raw(probe, c).strip() != '1':
        probe.write(c, '1\n')


def css_override(probe, sch, busid):
    """driver_override of a subchannel, unbinding io_subchannel, drivers_probe, bind and unbind errnos."""
    d = '%s/devices/%s' % (CSS, sch)
    o = d + '/driver_override'
    for label, data in (('set', 'vfio_ccw'), ('set_nl', 'vfio_ccw\n'), ('zero_bytes', ''), ('clear', '\n'),
                        ('too_long', 'x' * 4100), ('len_4095', 'x' * 4095), ('len_4094', 'x' * 4094),
                        ('cut_at_newline', 'vfio_ccw\nrest')):
        probe.note('css.override.%s' % label, probe.write(o, data))
        probe.note('css.override.%s.read' % label, raw(probe, o))
    probe.write(o, '\n')
    probe.note('css.errno.probe_unknown', probe.write(CSS + '/drivers_probe', '0.0.9999\n'))
    probe.note('css.errno.bind_bound', probe.write(CSS + '/drivers/vfio_ccw/bind', sch + '\n'))
    probe.note('css.errno.bind_same_bound', probe.write(CSS + '/drivers/io_subchannel/bind', sch + '\n'))
    probe.note('css.errno.unbind_wrong_driver', probe.write(CSS + '/drivers/vfio_ccw/unbind', sch + '\n'))
    probe.note('css.probe_bound', probe.write(CSS + '/drivers_probe', sch + '\n'))
    probe.note('css.probe_bound.driver', drv_of(probe, d))
    # the ABI document's example "vfio-ccw" (hyphen) names no driver
    probe.write(o, 'vfio-ccw\n')
    probe.note('css.unbind', probe.write(CSS + '/drivers/io_subchannel/unbind', sch + '\n'))
    probe.note('css.unbind.ccw_gone', not os.path.lexists(probe.p('%s/devices/%s' % (CCW, busid))))
    probe.note('css.unbind.layout', entries(probe, d))
    probe.note('css.unbind.uevent', raw(probe, d + '/uevent'))
    probe.note('css.hyphen.probe', probe.write(CSS + '/drivers_probe', sch + '\n'))
    probe.note('css.hyphen.driver', drv_of(probe, d))
    probe.note('css.errno.hyphen_bind_vfio_ccw', probe.write(CSS + '/drivers/vfio_ccw/bind', sch + '\n'))
    probe.note('css.errno.hyphen_bind_io_subchannel', probe.write(CSS + '/drivers/io_subchannel/bind', sch + '\n'))
    probe.note('css.errno.unbind_unbound', probe.write(CSS + '/drivers/io_subchannel/unbind', sch + '\n'))
    probe.note('css.errno.chsc_bind', probe.write(CSS + '/drivers/chsc_subchannel/bind', sch + '\n')
               if os.path.isdir(probe.p(CSS + '/drivers/chsc_subchannel')) else 'no chsc_subchannel')
    probe.write(o, 'vfio_ccw\n')
    probe.note('css.vfio_ccw.probe', probe.write(CSS + '/drivers_probe', sch + '\n'))
    probe.note('css.vfio_ccw.driver', drv_of(probe, d))


def vfio_ccw(probe, sch, sch2, busid2):
    """The subchannel as an mdev parent: its type, create and remove, IOMMU groups, unbinding with an mdev."""
    d = '%s/devices/%s' % (CSS, sch)
    t = '%s/%s' % (d, CCW_TYPE)
    probe.note('vfio_ccw.sch.layout', entries(probe, d))
    probe.note('vfio_ccw.sch.uevent', raw(probe, d + '/uevent'))
    probe.note('vfio_ccw.types', entries(probe, d + '/mdev_supported_types'))
    probe.note('vfio_ccw.type.layout', entries(probe, t))
    probe.note('vfio_ccw.type.modes', modes(probe, t))
    for attr in ('name', 'device_api', 'available_instances'):
        probe.note('vfio_ccw.type.%s' % attr, raw(probe, '%s/%s' % (t, attr)))
    probe.note('vfio_ccw.class_link', target(probe, 'sys/class/mdev_bus/' + sch, d) == '.')
    probe.note('vfio_ccw.errno.read_create', probe.read(t + '/create'))
    u = S390_UUIDS[0]
    for label, data in (('not_uuid', 'not-a-uuid-not-a-uuid-not-a-uuid-xx\n'), ('bad_hex', u[:-1] + 'g'),
                        ('len_38', u + '\n\n'), ('len_35', u[:-1]), ('braces', '{%s}' % u[:34]),
                        ('short', '1234\n')):
        probe.note('vfio_ccw.errno.create_%s' % label, probe.write(t + '/create', data))
    probe.note('vfio_ccw.create', probe.write(t + '/create', u.upper() + '\n'))
    m = 'sys/bus/mdev/devices/' + u
    probe.note('vfio_ccw.mdev.exists', os.path.isdir(probe.p(m)))
    probe.note('vfio_ccw.mdev.under_parent', target(probe, m, d) == u)
    probe.note('vfio_ccw.mdev.layout', entries(probe, m))
    probe.note('vfio_ccw.mdev.modes', modes(probe, m))
    probe.note('vfio_ccw.mdev.uevent', raw(probe, m + '/uevent'))
    probe.note('vfio_ccw.mdev.driver', drv_of(probe, m))
    probe.note('vfio_ccw.mdev.mdev_type', target(probe, m + '/mdev_type', d))
    probe.note('vfio_ccw.mdev.subsystem', target(probe, m + '/subsystem', 'sys/bus'))
    probe.note('vfio_ccw.mdev.in_type_devices', target(probe, '%s/devices/%s' % (t, u), m) == '.')
    group = target(probe, m + '/iommu_group', 'sys/kernel/iommu_groups')
    probe.note('vfio_ccw.iommu_group', group)
    g = 'sys/kernel/iommu_groups/%s' % group
    probe.note('vfio_ccw.iommu_group.layout', entries(probe, g))
    probe.note('vfio_ccw.iommu_group.name', raw(probe, g + '/name'))
    probe.note('vfio_ccw.iommu_group.type', raw(probe, g + '/type'))
    probe.note('vfio_ccw.iommu_group.reserved_regions', raw(probe, g + '/reserved_regions'))
    probe.note('vfio_ccw.iommu_group.devices', entries(probe, g + '/devices'))
    probe.note('vfio_ccw.iommu_group.device_link', target(probe, '%s/devices/%s' % (g, u), m) == '.')
    probe.note('vfio_ccw.available.after_create', raw(probe, t + '/available_instances'))
    probe.note('vfio_ccw.errno.create_duplicate', probe.write(t + '/create', u + '\n'))
    probe.note('vfio_ccw.errno.create_exhausted', probe.write(t + '/create', S390_UUIDS[1] + '\n'))
    probe.note('vfio_ccw.errno.create_exhausted_no_nl', probe.write(t + '/create', S390_UUIDS[1]))
    probe.note('vfio_ccw.errno.create_37th_not_nl', probe.write(t + '/create', u + '5'))
    probe.note('vfio_ccw.errno.unbind_parent_io_subchannel', probe.write(CSS + '/drivers/io_subchannel/unbind', sch + '\n'))
    for label, data in (('garbage', 'x\n'), ('zero', '0\n'), ('negative', '-1\n')):
        probe.note('vfio_ccw.remove.%s' % label, probe.write(m + '/remove', data))
    probe.note('vfio_ccw.remove.kept', os.path.isdir(probe.p(m)))
    # a second parent: the uuid is unique over parents, the group numbers are the lowest free ones
    d2 = '%s/devices/%s' % (CSS, sch2)
    t2 = '%s/%s' % (d2, CCW_TYPE)
    probe.write(d2 + '/driver_override', 'vfio_ccw\n')
    probe.write(CSS + '/drivers/io_subchannel/unbind', sch2 + '\n')
    probe.note('vfio_ccw.second.probe', probe.write(CSS + '/drivers_probe', sch2 + '\n'))
    probe.note('vfio_ccw.second.driver', drv_of(probe, d2))
    probe.note('vfio_ccw.errno.create_same_uuid_other_parent', probe.write(t2 + '/create', u + '\n'))
    probe.note('vfio_ccw.second.create', probe.write(t2 + '/create', S390_UUIDS[2] + '\n'))
    probe.note('vfio_ccw.second.iommu_group',
               target(probe, 'sys/bus/mdev/devices/%s/iommu_group' % S390_UUIDS[2], 'sys/kernel/iommu_groups'))
    probe.note('vfio_ccw.remove.one', probe.write(m + '/remove', '1\n'))
    probe.note('vfio_ccw.remove.gone', not os.path.lexists(probe.p(m)))
    probe.note('vfio_ccw.remove.group_gone', not os.path.lexists(probe.p(g)))
    probe.note('vfio_ccw.available.after_remove', raw(probe, t + '/available_instances'))
    probe.note('vfio_ccw.errno.remove_after_remove', probe.write(m + '/remove', '1\n'))
    probe.note('vfio_ccw.recreate', probe.write(t + '/create', u + '\n'))
    probe.note('vfio_ccw.recreate.iommu_group', target(probe, m + '/iommu_group', 'sys/kernel/iommu_groups'))
    # unbinding vfio_ccw removes the mdevs and the type directory
    probe.note('vfio_ccw.unbind_with_mdev', probe.write(CSS + '/drivers/vfio_ccw/unbind', sch2 + '\n'))
    probe.note('vfio_ccw.unbind_with_mdev.gone', not os.path.lexists(probe.p('sys/bus/mdev/devices/' + S390_UUIDS[2])))
    probe.note('vfio_ccw.unbind_with_mdev.layout', entries(probe, d2))
    probe.note('vfio_ccw.unbind_with_mdev.class_link', os.path.lexists(probe.p('sys/class/mdev_bus/' + sch2)))
    probe.note('vfio_ccw.bind_by_hand', probe.write(CSS + '/drivers/vfio_ccw/bind', sch2 + '\n'))
    probe.note('vfio_ccw.bind_by_hand.driver', drv_of(probe, d2))
    probe.write(CSS + '/drivers/vfio_ccw/unbind', sch2 + '\n')
    probe.write(d2 + '/driver_override', '\n')
    probe.write(CSS + '/drivers_probe', sch2 + '\n')
    probe.note('vfio_ccw.second.back', drv_of(probe, d2))
    probe.note('vfio_ccw.second.ccw_back', wait(lambda: os.path.isdir(probe.p('%s/devices/%s' % (CCW, busid2))), 10))
    # the mdev without its driver: unbinding it from vfio_ccw_mdev leaves it, drivers_probe binds nothing (6.1)
    probe.note('vfio_ccw.mdev.unbind_driver', probe.write('sys/bus/mdev/drivers/vfio_ccw_mdev/unbind', u + '\n'))
    probe.note('vfio_ccw.mdev.unbound_exists', os.path.isdir(probe.p(m)))
    probe.note('vfio_ccw.mdev.unbound_driver', drv_of(probe, m))
    probe.note('vfio_ccw.mdev.unbound_uevent', raw(probe, m + '/uevent'))
    probe.note('vfio_ccw.mdev.unbound_probe', probe.write('sys/bus/mdev/drivers_probe', u + '\n'))
    probe.note('vfio_ccw.mdev.unbound_probe_driver', drv_of(probe, m))
    probe.note('vfio_ccw.errno.mdev_bind', probe.write('sys/bus/mdev/drivers/vfio_ccw_mdev/bind', u + '\n'))
    probe.write('sys/bus/mdev/devices/%s/remove' % u, '1\n')


def css_rebind(probe, sch, busid):
    """Giving the subchannel back to io_subchannel: the ccw device registers again."""
    d = '%s/devices/%s' % (CSS, sch)
    c = '%s/devices/%s' % (CCW, busid)
    probe.write(CSS + '/drivers/vfio_ccw/unbind', sch + '\n')
    probe.note('css.rebind.mdev_types_gone', not os.path.lexists(probe.p(d + '/mdev_supported_types')))
    probe.write(d + '/driver_override', '\n')
    probe.note('css.rebind.probe', probe.write(CSS + '/drivers_probe', sch + '\n'))
    probe.note('css.rebind.driver', drv_of(probe, d))
    probe.note('css.rebind.ccw_at_once', os.path.isdir(probe.p(c)))
    probe.note('css.rebind.ccw_within_10s', wait(lambda: os.path.isdir(probe.p(c)), 10))
    probe.note('css.rebind.layout', entries(probe, d))
    probe.note('css.rebind.ccw_driver', drv_of(probe, c) is not None)
    wait(lambda: raw(probe, c + '/online').strip() == '1', 5)
    probe.note('css.rebind.ccw_online', raw(probe, c + '/online'))


def s390(probe, busid, busid2):
    """Every s390 observation, on the devices ``busid`` and ``busid2``."""
    sch, sch2 = subchannel_of(probe, busid), subchannel_of(probe, busid2)
    probe.note('s390.devices_found', [sch is not None, sch2 is not None])
    if sch is None or sch2 is None:
        return
    for name in ('io_subchannel', 'vfio_ccw'):
        probe.note('css.driver.%s' % name, os.path.isdir(probe.p('%s/drivers/%s' % (CSS, name))))
    probe.note('mdev.driver.vfio_ccw_mdev', os.path.isdir(probe.p('sys/bus/mdev/drivers/vfio_ccw_mdev')))
    css_layout(probe, sch, busid)
    ccw_online(probe, busid)
    cio_ignore(probe)
    css_override(probe, sch, busid)
    vfio_ccw(probe, sch, sch2, busid2)
    css_rebind(probe, sch, busid)


def main():
    """Probe ROOT, write OUT.json."""
    root, out = sys.argv[1], sys.argv[2]
    probe = Probe(root)
    if len(sys.argv) > 4:
        s390(probe, sys.argv[3], sys.argv[4])
    else:
        pci(probe)
        groups(probe)
        sriov(probe)
        mdev(probe)
        if root == '/':
            uevents(probe)
    with open(out, 'w') as f:
        json.dump(probe.seen, f, indent=1, sort_keys=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
