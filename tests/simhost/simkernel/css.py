"""The channel subsystem of the simulated kernel: cio_ignore and subchannels.

A subchannel whose device number is on the cio_ignore list is not registered; ``free`` makes it
appear (the rescan), ``purge`` takes away those of ignored devices that are offline. Binding
io_subchannel creates the subchannel's ccw device (the ``children`` effect).
"""

import errno as E
import re

from .core import BUS_UEVENT, EFFECTS, HOLDS, build_step, fail, handles, kstrtoul, reads


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


@build_step('buses')
def css0(kernel, scenario):
    """/sys/devices/css0 besides its subchannels: defunct/, real_cssid, rescan, pools, the channel paths.

    A channel path device ``chp0.XX`` exists for every installed path of a subchannel (a bit of
    its PIM, the first byte of ``pimpampom``, and the CHPID at that position of ``chpids``),
    whether or not the subchannel is cio_ignore'd.
    """
    if 'css' not in kernel.buses:
        return
    t = kernel.tree
    top = '/sys/devices/css0'
    t.attr(top + '/uevent', '', 0o644, 'noop', kernel)
    t.attr(top + '/defunct/uevent', '', 0o644, 'noop', kernel)
    t.attr(top + '/real_cssid', '', 0o444, 'real_cssid', kernel)
    t.attr(top + '/rescan', '', 0o200, 'css_rescan', kernel)
    t.attr(top + '/pools', 'poolinfo - 0.1\n', 0o444)  # the cio DMA pool's dma_pool_create() adds it
    chps = set()
    for spec in scenario['buses']['css'].get('devices') or []:
        attrs = spec.get('attrs') or {}
        pim = str(attrs.get('pimpampom', '')).split()[:1]
        chpids = str(attrs.get('chpids', '')).split()
        for i in range(8) if pim and len(chpids) == 8 else []:
            if int(pim[0], 16) & (0x80 >> i):
                chps.add(int(chpids[i], 16))
    for chpid in sorted(chps):
        t.attr('%s/chp0.%02x/status' % (top, chpid), 'online\n')
        t.attr('%s/chp0.%02x/uevent' % (top, chpid), '', 0o644, 'noop', kernel)


@reads('real_cssid')
def r_real_cssid(kernel, node):
    """The css id: unknown without the CHSC that tells it (as under QEMU), and then EINVAL."""
    fail(E.EINVAL)


@handles('css_rescan')
def h_css_rescan(kernel, owner, node, data):
    """css0/rescan: any write rescans (registers the subchannels no longer ignored)."""
    reveal(kernel)


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


def css_uevent(dev):
    """css_uevent(): ``ST`` and ``MODALIAS`` from the subchannel type (s390-sysfs.md section 1), unless
    the scenario lists the variables itself."""
    kind = (dev.spec.get('attrs') or {}).get('type')
    if dev.spec.get('uevent') or kind is None:
        return None
    return [('ST', '%x' % int(kind)), ('MODALIAS', 'css:t%X' % int(kind))]


BUS_UEVENT['css'] = css_uevent


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
    """Unregister the offline ccw devices whose number is ignored, with their subchannels (``purge``).

    ccw_purge_blacklisted() walks the ccw bus: a subchannel without a ccw device (bound to
    vfio_ccw, or unbound) is not purged.
    """
    bus = kernel.buses.get('css')
    for dev in list(bus.devices.values()) if bus else []:
        child = dev.children[0] if dev.children else None
        if ignored(kernel, dev.spec) and child is not None and not child.online:
            kernel.remove_device(dev)
            kernel.hidden.append(('css', dev.spec))


MAX_SSID = 3
MAX_DEVNO = 0xffff
# Characters the kernel's isspace() takes: cio_ignore_write() strips them (and NULs) from the end.
KSPACE = ' \t\n\v\f\r\x00\xa0'


def _pure_hex(text, pos, min_digit, max_digit, max_val):
    """blacklist.c pure_hex(): (value, new position), or None; reads at most max_digit + 1 digits."""
    n, value = 0, 0
    while n <= max_digit and pos < len(text) and text[pos] in '0123456789abcdefABCDEF':
        value = value * 16 + int(text[pos], 16)
        pos += 1
        n += 1
    if n < min_digit or n > max_digit or value > max_val:
        return None
    return value, pos


def _cio_id(text):
    """blacklist.c parse_busid(): (ssid, devno) of ``0.s.dddd`` or of a bare devno, None if malformed.

    A bare devno is simple_strtoul(text, 16): any number of hex digits after an optional ``0x``,
    up to 0xffff. Otherwise css id (1-2 hex digits, and it must be 0), ssid (1 digit, at most 3) and
    exactly 4 hex digits, dot separated; nothing else, not even blanks.
    """
    if not text:
        return None
    m = re.match(r'(?:0[xX])?([0-9a-fA-F]*)', text)  # base 16 skips a 0x even with no digit after it
    if m.end() == len(text):
        value = int(m.group(1) or '0', 16)
        return (0, value) if value <= MAX_DEVNO else None
    got = _pure_hex(text, 0, 1, 2, 0)  # __MAX_CSSID is 0: a guest without MCSS-E sees css 0 only
    if got is None or text[got[1]:got[1] + 1] != '.':
        return None
    got = _pure_hex(text, got[1] + 1, 1, 1, MAX_SSID)
    if got is None or text[got[1]:got[1] + 1] != '.':
        return None
    ssid = got[0]
    got = _pure_hex(text, got[1] + 1, 4, 4, MAX_DEVNO)
    if got is None or got[1] != len(text):
        return None
    return ssid, got[0]


def parse_cio_item(item):
    """The (ssid, devno) set of one cio_ignore list item, or None if the kernel rejects it.

    ``all``, ``ipldev`` and ``condev`` (neither exists on the simulated host: no-ops), or a device
    id or range ``a-b`` (both ends parsed as _cio_id; a range may cross subchannel sets).
    """
    if item == 'all':
        return set((ssid, n) for ssid in range(MAX_SSID + 1) for n in range(MAX_DEVNO + 1))
    if item in ('ipldev', 'condev'):
        return set()
    lo, dash, hi = item.partition('-')
    a = _cio_id(lo)
    b = (_cio_id(hi) if dash else a) if a is not None else None
    if a is None or b is None or a > b:
        return None
    if a[0] != b[0]:
        return set((ssid, n) for ssid in range(a[0], b[0] + 1) for n in range(MAX_DEVNO + 1)
                   if a <= (ssid, n) <= b)
    return set((a[0], n) for n in range(a[1], b[1] + 1))


@handles('cio_ignore')
def h_cio_ignore(kernel, owner, node, data):
    """/proc/cio_ignore, as blacklist.c takes it.

    Trailing blanks are stripped; the command is what comes before the first space: ``free`` or
    ``add`` with a comma-separated list (none at all is a no-op), or ``purge`` (the rest is
    ignored); anything else EINVAL. Items are applied one by one: a bad one makes the write fail
    with EINVAL, the good ones before and after it still apply. ``!`` negates an item.
    """
    text = data.rstrip(KSPACE)
    cmd, sep, rest = text.partition(' ')
    if cmd == 'purge':
        purge(kernel)
        return
    if cmd not in ('free', 'add'):
        fail(E.EINVAL)
    bad = False
    for item in rest.split(',') if sep else []:
        negate = item.startswith('!')
        ids = parse_cio_item(item[1:] if negate else item)
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


def _type_model(text):
    """(type, model) of a ``cutype``/``devtype`` value (``3990/e9``; ``n/a`` is 0/0)."""
    kind, _slash, model = str(text).partition('/')
    try:
        return int(kind, 16), int(model, 16)
    except ValueError:
        return 0, 0


def ccw_spec(spec):
    """A ccw device's scenario entry as the ccw bus makes it: no driver_override, the bus's uevent.

    ccw_uevent() adds CU_TYPE, CU_MODEL, DEV_TYPE, DEV_MODEL (upper-case hex) and MODALIAS after
    the core's DRIVER; the values come from the device's ``cutype`` and ``devtype``.
    """
    attrs = spec.get('attrs') or {}
    cu, cm = _type_model(attrs.get('cutype', '0000/00'))
    dt, dm = _type_model(attrs.get('devtype', 'n/a'))
    alias = 'ccw:t%04Xm%02Xdt%04Xdm%02X' % (cu, cm, dt, dm) if dt else 'ccw:t%04Xm%02Xdtdm' % (cu, cm)
    uevent = {'CU_TYPE': '%04X' % cu, 'CU_MODEL': '%02X' % cm, 'DEV_TYPE': '%04X' % dt, 'DEV_MODEL': '%02X' % dm,
              'MODALIAS': attrs.get('modalias', alias)}
    return dict(spec, driver_override=spec.get('driver_override', False), uevent=spec.get('uevent') or uevent)


def e_children_on(kernel, dev, drv):
    """io_subchannel's probe: ``logging``, and the subchannel's ccw device with ``online`` and ``cmb_enable``.

    The scenario says which devices are online at boot (as udev rules and chzdev's configuration
    make them); a ccw device registered again after a rebind comes back offline, as a DASD does
    (a virtio disk, which sets itself online, does not: see KNOWN_DIFFERENCES.md).
    """
    kernel.tree.attr(dev.path + '/logging', '', 0o200, None, dev)  # WO; starts a CHSC log request (siosl)
    again = getattr(dev, 'children_seen', False)
    for spec in dev.spec.get('children') or []:
        child = kernel.add_device(kernel.buses[spec['bus']], ccw_spec(spec), dev.path)
        child.online = not again and str(child.attr('online', '0')) == '1'
        kernel.tree.attr(child.path + '/online', '', 0o644, 'ccw_online', child)
        kernel.tree.attr(child.path + '/cmb_enable', '0\n', 0o644, None, child)
        dev.children.append(child)
    dev.children_seen = True


@handles('ccw_online')
def h_ccw_online(kernel, dev, node, data):
    """online_store(): any prefix of ``force\\n``, or kstrtoul(base 16) 0 or 1; EINVAL for no change or no driver.

    A device the scenario marks ``in_use`` (a mounted DASD, an active network device) refuses to go
    offline with EBUSY, as the DASD driver does while the block device is open. ``force`` on an
    online device succeeds (seen on 6.1).
    """
    if 'force\n'.startswith(data):
        if dev.driver is None:
            fail(E.EINVAL)
        dev.online = True
        return
    want = kstrtoul(data, 16)
    if dev.driver is None or want not in (0, 1) or bool(want) == dev.online:
        fail(E.EINVAL)
    if not want and dev.spec.get('in_use'):
        fail(E.EBUSY)
    dev.online = bool(want)


@reads('ccw_online')
def r_ccw_online(kernel, node):
    """``1`` or ``0``."""
    return '%d\n' % node.owner.online


def e_children_off(kernel, dev, drv):
    """Delete the child devices and ``logging``, as unbinding io_subchannel does."""
    kernel.tree.remove(dev.path + '/logging')
    for child in dev.children:
        kernel.remove_device(child)
    dev.children = []


EFFECTS['children'] = (e_children_on, e_children_off)
