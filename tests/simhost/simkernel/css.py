"""The channel subsystem of the simulated kernel: cio_ignore and subchannels.

A subchannel whose device number is on the cio_ignore list is not registered; ``free`` makes it
appear (the rescan), ``purge`` takes away those of ignored devices that are offline. Binding
io_subchannel creates the subchannel's ccw device (the ``children`` effect).
"""

import errno as E
import re

from .core import EFFECTS, HOLDS, build_step, fail, handles, reads


@build_step('start')
def setup(kernel, scenario):
    """Create /proc/cio_ignore and /proc/cio_settle, and the ignore list the scenario starts with."""
    kernel.blacklist = set()  # (ssid, devno) of every ignored device
    kernel.hidden = []  # (bus name, spec) of the subchannels not registered because their device is ignored
    t = kernel.tree
    t.attr('/proc/cio_ignore', '', 0o644, 'cio_ignore', kernel)
    t.attr('/proc/cio_settle', '', 0o200, 'noop', kernel)
    for item in scenario.get('cio_ignore') or []:
        kernel.blacklist |= parse_cio_item(item) or set()


def busid_key(text):
    """(ssid, devno) of ``0.s.dddd``."""
    _c, ssid, devno = text.split('.')
    return int(ssid, 16), int(devno, 16)


def ignored(kernel, spec):
    """True if a subchannel's device number is on the cio_ignore list."""
    busid = str((spec.get('attrs') or {}).get('dev_busid', ''))
    return busid.count('.') == 2 and busid_key(busid) in kernel.blacklist


def hold_ignored(kernel, bus_name, spec):
    """Keep a cio_ignore'd subchannel of the scenario unregistered, to appear when its device is freed."""
    if ignored(kernel, spec):
        kernel.hidden.append((bus_name, spec))
        return True
    return False


HOLDS.append(hold_ignored)


def reveal(kernel):
    """Register the hidden subchannels whose device is no longer ignored (the rescan after free)."""
    still = []
    for bus_name, spec in kernel.hidden:
        if ignored(kernel, spec):
            still.append((bus_name, spec))
        else:
            kernel.add_device(kernel.buses[bus_name], spec)
    kernel.hidden = still


def purge(kernel):
    """Unregister subchannels of ignored devices that are offline (``purge``)."""
    bus = kernel.buses.get('css')
    for dev in list(bus.devices.values()) if bus else []:
        child = dev.children[0] if dev.children else None
        if ignored(kernel, dev.spec) and (child is None or not child.online):
            kernel.remove_device(dev)
            kernel.hidden.append(('css', dev.spec))


def _cio_id(text):
    """(ssid, devno) of one cio_ignore device id (``0.s.dddd`` or a bare devno), None if malformed."""
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


@handles('cio_ignore')
def h_cio_ignore(kernel, owner, node, data):
    """/proc/cio_ignore: free|add <list> or purge; bad items EINVAL, valid ones still applied."""
    text = data.strip()
    cmd, _sep, rest = text.partition(' ')
    if cmd == 'purge' and not rest:
        purge(kernel)
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
    reveal(kernel)
    if bad:
        fail(E.EINVAL)


@reads('cio_ignore')
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


def e_children_on(kernel, dev, drv):
    """Create the device's child devices (a subchannel's ccw device), with a writable ``online``.

    The scenario says which devices are online at boot (as udev rules and chzdev's configuration
    make them); a ccw device registered again after a rebind comes back offline, as on a kernel.
    """
    again = getattr(dev, 'children_seen', False)
    for spec in dev.spec.get('children') or []:
        child = kernel.add_device(kernel.buses[spec['bus']], spec, dev.path)
        child.online = not again and str(child.attr('online', '0')) == '1'
        kernel.tree.attr(child.path + '/online', '', 0o644, 'ccw_online', child)
        dev.children.append(child)
    dev.children_seen = True


@handles('ccw_online')
def h_ccw_online(kernel, dev, node, data):
    """``online``: 1, 0 (base 16) or ``force``; EINVAL for no change or no driver, EBUSY while in use.

    A device the scenario marks ``in_use`` (a mounted DASD, an active network device) refuses to go
    offline, as the DASD driver does while the block device is open.
    """
    text = data.strip()
    if dev.driver is None:
        fail(E.EINVAL)
    if text == 'force':
        dev.online = True
        return
    try:
        want = int(text, 16)
    except ValueError:
        fail(E.EINVAL)
    if want not in (0, 1) or bool(want) == dev.online:
        fail(E.EINVAL)
    if not want and dev.spec.get('in_use'):
        fail(E.EBUSY)
    dev.online = bool(want)


@reads('ccw_online')
def r_ccw_online(kernel, node):
    """``1`` or ``0``."""
    return '%d\n' % node.owner.online


def e_children_off(kernel, dev, drv):
    """Delete the child devices, as unbinding io_subchannel does."""
    for child in dev.children:
        kernel.remove_device(child)
    dev.children = []


EFFECTS['children'] = (e_children_on, e_children_off)
