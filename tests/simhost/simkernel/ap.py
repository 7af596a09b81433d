"""The AP bus of the simulated kernel: crypto cards and queues, apmask/aqmask, the vfio_ap matrix.

apmask and aqmask give each queue (adapter, domain) either to the default zcrypt drivers or to
vfio_ap; a vfio_ap mdev's matrix may only hold queues the masks give to vfio_ap, and no queue
twice. Bit 0 of a mask is its leftmost bit, as in the kernel's bitmaps.
"""

import errno as E
import re

from .core import BOUND, BUS_MATCH, BUS_UEVENT, OVERRIDE_CHECKS, as_int, build_step, fail, handles, kstrtoul, reads

AP_MASK_BITS = 256  # adapters and domains an AP mask has a bit for
AP_MAX_ID = AP_MASK_BITS - 1
AP_MASK_DIGITS = AP_MASK_BITS // 4
AP_FULL_MASK = (1 << AP_MASK_BITS) - 1
DEFAULT_MAX_ADAPTER_ID = 63  # without AP extended addressing (APXA) a machine has adapters 0-63


def bit(number):
    """The mask bit of adapter or domain ``number``."""
    return 1 << (AP_MAX_ID - number)


def max_id(ap, kind):
    """ap_max_adapter_id for ``adapter``, ap_max_domain_id for the domain kinds."""
    return ap.get('max_adapter_id', DEFAULT_MAX_ADAPTER_ID) if kind == 'adapter' else ap.get('max_domain_id', AP_MAX_ID)


@build_step('start')
def setup(kernel, scenario):
    """The scenario's AP configuration (None without one) and the AP state."""
    kernel.ap = scenario.get('ap')
    kernel.ap_mask = kernel.aq_mask = None
    # The card and queue devices wait here for load(), which adds them once every bus is built.
    kernel.ap_devices = []
    # ap_bindings_complete_count, and whether the completion is done (re-armed by every probe)
    kernel.ap_complete_count = 0
    kernel.ap_complete = False


@build_step('buses')
def build(kernel, scenario):
    """Set the masks, add the bus attributes and list the card and queue devices of the AP configuration."""
    ap = kernel.ap
    if not ap:
        return
    kernel.ap_mask = kernel.aq_mask = AP_FULL_MASK
    for a in ap.get('freed_adapters') or []:
        kernel.ap_mask &= ~bit(a)
    for d in ap.get('freed_domains') or []:
        kernel.aq_mask &= ~bit(d)
    bus = kernel.buses['ap']
    t = kernel.tree
    t.attr(bus.path + '/apmask', '', 0o644, 'apmask', bus)
    t.attr(bus.path + '/aqmask', '', 0o644, 'aqmask', bus)
    t.attr(bus.path + '/ap_max_adapter_id', '%d\n' % max_id(ap, 'adapter'))
    t.attr(bus.path + '/ap_max_domain_id', '%d\n' % max_id(ap, 'domain'))
    # the rest of ap_bus.c's bus attributes (s390-sysfs.md section 2): the QCI masks, the default
    # domain, the timers, the scan counter, the binding count and the QCI features
    cards = set(int(c) for c in ap.get('cards') or {})
    domains = set(ap.get('domains') or [])
    for name, ids in (('ap_adapter_mask', cards), ('ap_usage_domain_mask', domains),
                      ('ap_control_domain_mask', domains)):
        t.attr('%s/%s' % (bus.path, name), _mask_text(sum(bit(i) for i in ids)))
    usable = sorted(d for d in domains if kernel.aq_mask & bit(d))
    kernel.ap_domain = ap.get('ap_domain', usable[0] if usable else -1)
    kernel.ap_settings = {'config_time': 30, 'poll_thread': 0, 'poll_timeout': 250000, 'scans': 1}
    for name in ('ap_domain', 'config_time', 'poll_thread', 'poll_timeout', 'scans'):
        t.attr('%s/%s' % (bus.path, name), '', 0o644, 'ap_' + name, kernel)
    t.attr(bus.path + '/ap_interrupts', '%d\n' % ap.get('interrupts', 1))
    t.attr(bus.path + '/bindings', '', 0o444, 'ap_bindings', kernel)
    if ap.get('bindings_complete_count', True):  # commit 51d921a6 (s390-sysfs.md section 2; name as s390-tools reads it)
        t.attr(bus.path + '/bindings_complete_count', '', 0o444, 'ap_bindings_complete_count', kernel)
    t.attr(bus.path + '/features', '%s\n' % (ap.get('features') or 'APSC APXA QACT RC8A'))
    for card, cspec in sorted((ap.get('cards') or {}).items()):
        card = int(card)
        name = 'card%02x' % card
        kernel.ap_devices.append({'name': name, 'path': 'ap/' + name, 'attrs': cspec.get('attrs') or {},
                                  'driver_override': False, 'ap_card': card})
        for dom in cspec.get('domains') or ap.get('domains') or []:
            kernel.ap_devices.append({'name': '%02x.%04x' % (card, dom), 'path': 'ap/%s/%02x.%04x' % (name, card, dom),
                                      'driver_override': bool(ap.get('queue_driver_override')),
                                      'override_unset': '', 'ap_queue': (card, dom),
                                      'card_attrs': cspec.get('attrs') or {}})


@build_step('load')
def add_devices(kernel, scenario):
    """Add the card and queue devices, probing each: the initial bus scan, then its uevents."""
    for spec in kernel.ap_devices:
        kernel.add_device(kernel.buses['ap'], spec)
    if kernel.ap:
        root_uevent(kernel, [('INITSCAN', 'done')])  # ap_send_init_scan_done_uevent()
        check_bindings_complete(kernel)


def root_uevent(kernel, env):
    """A change uevent of the AP bus's root device /sys/devices/ap (ap_uevent() adds nothing for it)."""
    kernel.send_uevent('change', '/devices/ap', 'ap', env)


def check_bindings_complete(kernel):
    """ap_check_bindings_complete(): once every queue has a driver again, BINDINGS=complete with the
    incremented COMPLETECOUNT, sent once per completion (re-armed by each probe, ap_device_probe())."""
    queues = [d for d in kernel.buses['ap'].devices.values() if 'ap_queue' in d.spec]
    if all(d.driver for d in queues) and not kernel.ap_complete:
        kernel.ap_complete = True
        kernel.ap_complete_count += 1
        root_uevent(kernel, [('BINDINGS', 'complete'), ('COMPLETECOUNT', '%d' % kernel.ap_complete_count)])


def rearm(kernel, dev):
    """ap_device_probe() re-arms the bindings-complete completion."""
    if dev.bus is not None and dev.bus.name == 'ap':
        kernel.ap_complete = False


BOUND.append(rearm)

# ap_uevent(): a card has DEV_TYPE, MODALIAS and MODE, a queue its card's MODE (s390-sysfs.md section 2)
_MODES = {'A': 'accel', 'C': 'cca', 'P': 'ep11'}


def uevent_vars(dev):
    """The AP bus's uevent variables of a card or queue."""
    card = dev.spec.get('ap_card')
    if card is None and 'ap_queue' in dev.spec:
        card = dev.spec['ap_queue'][0]
    if card is None:
        return None
    attrs = dev.spec.get('card_attrs') or dev.spec.get('attrs') or {}
    mode = _MODES.get(str(attrs.get('type', ''))[-1:])
    pairs = []
    if 'ap_card' in dev.spec:
        hwtype = int(attrs.get('hwtype', 0))
        pairs += [('DEV_TYPE', '%04X' % hwtype), ('MODALIAS', 'ap:t%02X' % hwtype)]
    return pairs + ([('MODE', mode)] if mode else [])


BUS_UEVENT['ap'] = uevent_vars


def default_masks(kernel):
    """True while apmask and aqmask are all ones."""
    return kernel.ap_mask == AP_FULL_MASK and kernel.aq_mask == AP_FULL_MASK


def host_owned(kernel, adapter, domain):
    """True if the masks give the queue (adapter, domain) to the default drivers."""
    return bool(kernel.ap_mask & bit(adapter) and kernel.aq_mask & bit(domain))


def match(kernel, drv, dev):
    """ap_bus_match() for a queue: an override naming the driver wins, else the masks pick the side."""
    if 'ap_queue' not in dev.spec:
        return None
    if dev.override == drv.name:
        return True
    if 'ap_queue' in drv.match and host_owned(kernel, *dev.spec['ap_queue']) != drv.ap_default:
        return False
    return None


def check_override(kernel, dev):
    """Refuse a queue's driver_override unless the masks are at their default."""
    if 'ap_queue' in dev.spec and not default_masks(kernel):
        fail(E.EINVAL)  # [2026] AP queue overrides only while apmask and aqmask are all ones


BUS_MATCH['ap'] = match
OVERRIDE_CHECKS['ap'] = check_override


def _mask_text(mask):
    """A mask as sysfs shows it: 0x and every hex digit."""
    return '0x%0*x\n' % (AP_MASK_DIGITS, mask)


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
            if not 0 <= a <= b < AP_MASK_BITS:
                fail(E.EINVAL)
            for number in range(a, b + 1):
                if item[0] == '+':
                    mask |= bit(number)
                else:
                    mask &= ~bit(number)
        return mask
    digits = text[2:] if text[:2].lower() == '0x' else text
    if not digits or len(digits) > AP_MASK_DIGITS or not re.match(r'^[0-9a-fA-F]+$', digits):
        fail(E.EINVAL)
    return int(digits.ljust(AP_MASK_DIGITS, '0'), 16)


def _set_mask(kernel, which, data):
    """Store apmask or aqmask (``which`` names the attribute), then re-probe the queues it moves."""
    if any(d.override is not None for d in kernel.buses['ap'].devices.values()):
        fail(E.EBUSY)  # [2026] refused while a queue has an override; the errno is unconfirmed (U)
    old = getattr(kernel, which)
    new = _parse_mask(old, data)
    setattr(kernel, which, new)
    newly_host = [m for m in kernel.mdevs.values() for a in m.assigned['adapter']
                  for d in m.assigned['domain'] if host_owned(kernel, a, d)]
    if newly_host:
        setattr(kernel, which, old)
        fail(E.EBUSY)
    if new != old:  # apmask_commit(): the change uevent, then ap_bus_revise_bindings()
        root_uevent(kernel, [(which.replace('_', '').upper(), _mask_text(new))])
    bus = kernel.buses['ap']
    for dev in bus.devices.values():
        if 'ap_queue' in dev.spec and dev.driver and host_owned(kernel, *dev.spec['ap_queue']) != dev.driver.ap_default:
            kernel.unbind(dev)
    for dev in bus.devices.values():
        if 'ap_queue' in dev.spec:
            kernel.probe(dev)
    check_bindings_complete(kernel)  # the rescan that follows (at the latest after config_time)


_SCANF_I = re.compile(r'[ \t\n\v\f\r]*(-?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))')
_SCANF_D = re.compile(r'[ \t\n\v\f\r]*(-?[0-9]+)')
_SCANF_U = re.compile(r'[ \t\n\v\f\r]*([0-9]+)')
_KSTRTOBOOL = {'1': True, 'y': True, 'Y': True, '0': False, 'n': False, 'N': False}


def scanf(pattern, text):
    """The number sscanf(text, "%i\\n" / "%d\\n" / "%llu\\n") reads, or EINVAL where it reads none.

    Leading blanks are skipped, no ``+``, and whatever follows the number is ignored.
    """
    m = pattern.match(text)
    if not m:
        fail(E.EINVAL)
    digits = m.group(1)
    body = digits.lstrip('-')
    value = int(body, 16) if body[:2].lower() == '0x' else int(body, 8) if len(body) > 1 and body[0] == '0' \
        and pattern is _SCANF_I else int(body, 10)
    return -value if digits.startswith('-') else value


def kstrtobool(text):
    """kstrtobool(): the first character decides (1/y/Y, 0/n/N, on/off), else EINVAL."""
    if text[:1] in _KSTRTOBOOL:
        return _KSTRTOBOOL[text[0]]
    if text[:2].lower() == 'on':
        return True
    if text[:3].lower() == 'off':
        return False
    fail(E.EINVAL)


@handles('ap_ap_domain')
def h_ap_domain(kernel, owner, node, data):
    """ap_domain: sscanf %i, at most ap_max_domain_id and set in aqmask, else EINVAL."""
    domain = scanf(_SCANF_I, data)
    if domain < 0 or domain > max_id(kernel.ap, 'domain') or not kernel.aq_mask & bit(domain):
        fail(E.EINVAL)
    kernel.ap_domain = domain


def _ranged(setting, pattern, low, high, doc):
    """The handler of an AP bus setting read with sscanf ``pattern`` and taken only from ``low`` to ``high``."""
    def handler(kernel, owner, node, data):
        value = scanf(pattern, data)
        if not low <= value <= high:
            fail(E.EINVAL)
        kernel.ap_settings[setting] = value
    handler.__doc__ = doc
    return handler


handles('ap_config_time')(_ranged('config_time', _SCANF_D, 5, 120,
                                  'config_time: sscanf %d, 5 to 120 seconds, else EINVAL.'))


@handles('ap_poll_thread')
def h_poll_thread(kernel, owner, node, data):
    """poll_thread: kstrtobool starts or stops the poll thread."""
    kernel.ap_settings['poll_thread'] = int(kstrtobool(data))


handles('ap_poll_timeout')(_ranged('poll_timeout', _SCANF_U, 1, 120000000000,
                                   'poll_timeout: sscanf %llu nanoseconds, 1 to 120e9, else EINVAL.'))


@handles('ap_scans')
def h_scans(kernel, owner, node, data):
    """scans: any write is a synchronous rescan of the bus (and counts one)."""
    kernel.ap_settings['scans'] += 1
    check_bindings_complete(kernel)


@reads('ap_bindings_complete_count')
def r_bindings_complete_count(kernel, node):
    """How often the bindings became complete since boot."""
    return '%d\n' % kernel.ap_complete_count


for name_ in ('config_time', 'poll_thread', 'poll_timeout', 'scans'):
    reads('ap_' + name_)(lambda kernel, node, name=name_: '%d\n' % kernel.ap_settings[name])


@reads('ap_ap_domain')
def r_ap_domain(kernel, node):
    """The default domain, -1 if none."""
    return '%d\n' % kernel.ap_domain


@reads('ap_bindings')
def r_bindings(kernel, node):
    """bound/total of the queue devices, `` (complete)`` once every one has a driver."""
    queues = [d for d in kernel.buses['ap'].devices.values() if 'ap_queue' in d.spec]
    bound = sum(1 for d in queues if d.driver)
    return '%d/%d%s\n' % (bound, len(queues), ' (complete)' if bound == len(queues) else '')


@handles('apmask')
def h_apmask(kernel, bus, node, data):
    """/sys/bus/ap/apmask: absolute or relative; EBUSY if it takes a queue from an mdev."""
    _set_mask(kernel, 'ap_mask', data)


@handles('aqmask')
def h_aqmask(kernel, bus, node, data):
    """/sys/bus/ap/aqmask, as apmask."""
    _set_mask(kernel, 'aq_mask', data)


@reads('apmask')
def r_apmask(kernel, node):
    """Show apmask."""
    return _mask_text(kernel.ap_mask)


@reads('aqmask')
def r_aqmask(kernel, node):
    """Show aqmask."""
    return _mask_text(kernel.aq_mask)


def _assign(kind, add):
    """The handler of assign_<kind> (``add``) or unassign_<kind> on a vfio_ap mdev."""
    def handler(kernel, mdev, node, data):
        value = kstrtoul(data)
        if value < 0 or value > max_id(kernel.ap, kind):
            fail(E.ENODEV)
        if not add:
            mdev.assigned[kind].discard(value)
            return
        if kind != 'control_domain':
            pairs = ([(value, d) for d in mdev.assigned['domain']] if kind == 'adapter'
                     else [(a, value) for a in mdev.assigned['adapter']])
            if any(host_owned(kernel, a, d) for a, d in pairs):
                fail(E.EADDRNOTAVAIL)
            for other in kernel.mdevs.values():
                if other is not mdev and any(a in other.assigned['adapter'] and d in other.assigned['domain']
                                             for a, d in pairs):
                    fail(E.EADDRINUSE)
        mdev.assigned[kind].add(value)
    handler.__doc__ = '%s_%s: kstrtoul base 0, ENODEV above the maximum, AP ownership checks.' % (
        'assign' if add else 'unassign', kind)
    return handler


for kind_ in ('adapter', 'domain', 'control_domain'):
    handles('assign_' + kind_)(_assign(kind_, True))
    handles('unassign_' + kind_)(_assign(kind_, False))


@reads('matrix')
def r_matrix(kernel, node):
    """The mdev's matrix: one APQN a line, or adapters/domains alone."""
    m = node.owner.assigned
    ads, doms = sorted(m['adapter']), sorted(m['domain'])
    if ads and doms:
        return ''.join('%02x.%04x\n' % (a, d) for a in ads for d in doms)
    return ''.join('%02x.\n' % a for a in ads) + ''.join('.%04x\n' % d for d in doms)


@reads('control_domains')
def r_control_domains(kernel, node):
    """The mdev's control domains, one a line."""
    return ''.join('%04x\n' % d for d in sorted(node.owner.assigned['control_domain']))
