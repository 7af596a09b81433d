"""check.py CONSOLE_LOG... RESULTS_JSON: hold the s390 guests' records to what the real kernel must show.

Reads the records guest/scenarios.py printed on the consoles (LAB-RESULT <scenario> <i>/<n>
<base64 chunk>; lab.sh passes both guests' consoles, the first boot's and the reboot's), writes
them to RESULTS_JSON, prints one PASS/FAIL line per scenario with the reasons, then the findings
(what the collection did on the real kernel that is worth knowing but not a failure), and exits 1
when a scenario failed or is missing.

check.py --state CONSOLE_LOG OUT_TAR_GZ: reassemble the first guest's persisted /etc (LAB-STATE
<i>/<n> <chunk>, checked against LAB-STATE-SHA256) for the second guest's initramfs; exits 1 when
it is incomplete or damaged.
"""
import base64
import hashlib
import json
import posixpath
import re
import shlex
import sys

SCENARIOS = ['boot', 'cio_ignore', 'ccw_info', 'driver_override', 'mdev', 'info', 'mdev_stop',
             'driver_override_back', 'bind_failure', 'conformance', 'reboot_setup', 'end', 'reboot']
MARK = re.compile(r'LAB-RESULT (\S+) (\d+)/(\d+) (\S*)')
STATE = re.compile(r'LAB-STATE (\d+)/(\d+) (\S*)')
STATE_SUM = re.compile(r'LAB-STATE-SHA256 ([0-9a-f]{64}) (\d+)')
LIBEXEC = '/usr/libexec/vfio-passthrough/'
CIO_RULE = '/etc/udev/rules.d/41-vfio-passthrough-cio-ignore.rules'
CSS_RULE = '/etc/udev/rules.d/04-vfio-passthrough-css.rules'
OVERRIDES_RULE = '/etc/udev/rules.d/89-vfio-passthrough-overrides.rules'


def parse(paths):
    chunks = {}
    for path in paths:
        with open(path, 'rb') as f:
            for raw in f:
                m = MARK.search(raw.decode('utf-8', 'replace').replace('\r', ''))
                if m:
                    name, i, n, text = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
                    chunks.setdefault(name, [None] * n)[i - 1] = text
    records, broken = {}, {}
    for name, parts in chunks.items():
        if None in parts:
            broken[name] = 'chunks %s of %d missing' % ([i + 1 for i, p in enumerate(parts) if p is None], len(parts))
            continue
        try:
            records[name] = json.loads(base64.b64decode(''.join(parts)))
        except ValueError as e:
            broken[name] = 'cannot decode: %s' % e
    return records, broken


class Check(object):
    def __init__(self, record):
        self.record = record
        self.steps = {s['label']: s for s in record['steps']}
        self.failures = []
        self.findings = []
        self.parts = []   # (name, the failures found while checking it): printed as one PASS/FAIL line each

    def part(self, name):
        """``with c.part(name):`` the checks of one named property; main() prints a PASS/FAIL line for it."""
        check = self

        class Part(object):
            def __enter__(self):
                self.start = len(check.failures)

            def __exit__(self, *exc):
                check.parts.append((name, check.failures[self.start:]))
        return Part()

    def step(self, label):
        s = self.steps.get(label)
        if s is None:
            self.failures.append('step %s did not run' % label)
            return {'result': {}, 'after': None, 'rc': None, 'missing': True}
        return s

    @staticmethod
    def res(s):
        return s.get('result') or {}

    def expect(self, cond, text):
        if not cond:
            self.failures.append(text)
        return bool(cond)

    def find(self, text):
        self.findings.append(text)

    def ok(self, label, changed=None):
        """The module step ``label`` succeeded (and changed, or did not, as given)."""
        s = self.step(label)
        if s.get('missing'):
            return s
        r = self.res(s)
        if s.get('exception'):
            self.failures.append('%s: the module raised: %s' % (label, s['exception'].strip().splitlines()[-1]))
        elif s['rc'] != 0 or r.get('failed'):
            self.failures.append('%s: failed (rc %s): %s' % (label, s['rc'], r.get('msg') or s.get('stderr', '')[-300:]))
        elif changed is not None and bool(r.get('changed')) != changed:
            self.failures.append('%s: changed=%s, expected %s' % (label, r.get('changed'), changed))
        return s

    def fails(self, label):
        """The module step ``label`` failed cleanly: a result with failed and a message, no traceback."""
        s = self.step(label)
        if s.get('missing'):
            return s
        r = self.res(s)
        if s.get('exception'):
            self.failures.append('%s: the module raised instead of failing: %s'
                                 % (label, s['exception'].strip().splitlines()[-1]))
        elif not r.get('failed') or s['rc'] == 0:
            self.failures.append('%s: expected a clean failure, got rc %s changed=%s' % (label, s['rc'], r.get('changed')))
        elif not r.get('msg'):
            self.failures.append('%s: failed without a message' % label)
        else:
            self.find('%s failed as expected: "%s"' % (label, r['msg']))
        return s


def busid_key(text):
    cssid, ssid, devno = text.split('.')
    return (int(cssid, 16), int(ssid, 16), int(devno, 16))


def ignored(cio_ignore, busid):
    """Whether the /proc/cio_ignore text (one device or range a line) covers ``busid``."""
    key = busid_key(busid)
    for line in (cio_ignore or '').split():
        lo, hi = (line.split('-', 1) + [''])[:2]
        if busid_key(lo) <= key <= busid_key(hi or lo):
            return True
    return False


def sch_of(view, busid):
    for s, d in (view or {}).get('css', {}).items():
        if d['dev_busid'] == busid:
            return s
    return None


def override(view, sch):
    v = ((view or {}).get('css', {}).get(sch) or {}).get('driver_override')
    return None if v is None or v.strip() == '(null)' else v.strip()


def drv(view, sch):
    return ((view or {}).get('css', {}).get(sch) or {}).get('driver')


def udev_boot(c, u, label):
    """How udev came up in a guest (recorded by /init, see guest/scenarios.py boot_record)."""
    if not c.expect(u, '%s: no record of the udev boot' % label):
        return
    rcs, t = u.get('rcs') or {}, u.get('times') or {}
    c.expect(rcs.get('udevd_rc') == 0 and u.get('udevd_running'),
             '%s: systemd-udevd did not start (rc %s, /run/udev/control %s)'
             % (label, rcs.get('udevd_rc'), u.get('udevd_running')))
    c.expect(rcs.get('trigger_subsystems_rc') == 0 and rcs.get('trigger_devices_rc') == 0,
             '%s: udevadm trigger failed (%s): %s' % (label, rcs, u.get('trigger_output')))
    c.expect(rcs.get('settle_rc') == 0, '%s: udevadm settle failed (rc %s): %s' % (label, rcs.get('settle_rc'),
                                                                                   u.get('settle_output')))
    if 'start' in t and 'settled' in t:
        c.find('%s: udevd up in %.1f s, coldplug triggered after %.1f s, settled after %.1f s, units done after '
               '%.1f s (uptime %.1f s); udevd logged %d lines' % (
                   label, t.get('udevd', 0) - t['start'], t.get('triggered', 0) - t['start'], t['settled'] - t['start'],
                   t.get('units', t['settled']) - t['start'], t['start'], u.get('udev_log_lines', 0)))
    for ln in u.get('udev_failures') or []:
        c.find('%s: udevd: %s' % (label, ln.strip()[:300]))


def check_boot(c):
    v = c.step('boot')['after']
    d = c.record['data']
    udev_boot(c, d.get('udev'), 'first boot')
    c.expect(d.get('env_root') is None, 'VFIO_PASSTHROUGH_ROOT is set in the guest: %r' % d.get('env_root'))
    c.expect(d.get('modules_dep'), 'no modules.dep: depmod did not run in the guest')
    c.expect(d.get('modprobe', {}).get('rc') == 0, 'no modprobe on PATH in the guest')
    c.expect('cio_ignore=all,!condev' in (d.get('cmdline') or ''), 'kernel command line lacks cio_ignore: %r' % d.get('cmdline'))
    if v:
        c.expect(not v['css'], 'subchannels present at boot despite cio_ignore=all: %s' % sorted(v['css']))
        c.expect((v['cio_ignore'] or '').startswith('0.0.0000-0.0.ffff'), '/proc/cio_ignore at boot: %r' % v['cio_ignore'])
        c.expect('vfio_ccw' not in v['modules'], 'vfio_ccw is loaded at boot already')
    c.find('guest: kernel %s, Python %s; the scenarios began at uptime %.1fs' % (
        (d.get('uname') or {}).get('release') if isinstance(d.get('uname'), dict) else d.get('uname'),
        (d.get('python') or '').split()[0], v['uptime'] if v else -1))


def check_cio_ignore(c):
    s = c.ok('free-0313-check', changed=True)
    if s.get('after'):
        c.expect(sch_of(s['after'], '0.0.0313') is None, 'check mode freed 0.0.0313 (its subchannel appeared)')
        c.expect((s['after']['cio_ignore'] or '').startswith('0.0.0000-0.0.ffff'), 'check mode changed /proc/cio_ignore')
    s = c.ok('free-0313', changed=True)
    if s.get('after'):
        r = c.res(s)
        c.expect(r.get('devices') == {'0.0.0313': 'free'}, 'free-0313: devices %r' % r.get('devices'))
        v = s['after']
        c.expect('0.0.0000-0.0.0312\n0.0.0314-0.0.ffff' in (v['cio_ignore'] or ''),
                 '/proc/cio_ignore after freeing 0.0.0313: %r' % v['cio_ignore'])
        sch = sch_of(v, '0.0.0313')
        if c.expect(sch, 'no subchannel with dev_busid 0.0.0313 right after the module returned (it waits via /proc/cio_settle)'):
            c.expect(sch == '0.0.0000', 'QEMU numbers subchannels in creation order: expected 0.0.0000, got %s' % sch)
            c.expect(drv(v, sch) == 'io_subchannel', 'subchannel %s driver %s' % (sch, drv(v, sch)))
        c.expect('0.0.0313' in v['ccw'], 'ccw device 0.0.0313 missing right after cio_ignore returned')
        c.find('with udevd running, the new I/O subchannel (modalias css:t0, which vfio_ccw also matches) %s'
               % ('had vfio_ccw loaded by udev' if 'vfio_ccw' in v['modules'] else
                  'did not get vfio_ccw loaded: udev\'s kmod builtin needs the binary indexes (modules.alias.bin) '
                  'that busybox depmod does not write, so driver_override still loads it itself'))
    c.ok('free-0313-again', changed=False)
    s = c.ok('free-0314-0316', changed=True)
    if s.get('after'):
        for d in ('0.0.0314', '0.0.0316'):
            c.expect(sch_of(s['after'], d), 'no subchannel for %s after freeing it' % d)
    s = c.ok('ignore-0316', changed=True)
    if s.get('after'):
        r = c.res(s)
        c.expect(r.get('devices') == {'0.0.0316': 'ignored'}, 'ignore-0316: devices %r' % r.get('devices'))
        c.expect(ignored(s['after']['cio_ignore'], '0.0.0316'),
                 '0.0.0316 not covered by /proc/cio_ignore after state=present: %r' % s['after']['cio_ignore'])
        if sch_of(s['after'], '0.0.0316'):
            c.find('cio_ignore state=present on 0.0.0316: the kernel lists it again but keeps its subchannel %s '
                   '(the module reports "ignored"; the device stays usable until the next IPL)' % sch_of(s['after'], '0.0.0316'))
    c.ok('ignore-0316-again', changed=False)


def check_ccw_info(c):
    s = c.ok('info-0313-0314')
    v = s.get('after')
    devs = c.res(s).get('devices') or []
    if v and c.expect(len(devs) == 2, 'ccw_info returned %d entries for 2 devices' % len(devs)):
        for e, d in zip(devs, ('0.0.0313', '0.0.0314')):
            want = {'device': d, 'subchannel': sch_of(v, d), 'subchannel_driver': 'io_subchannel',
                    'ccw_driver': 'virtio_ccw', 'online': True, 'cutype': '3832/02', 'ignored': False}
            got = {k: e.get(k) for k in want}
            c.expect(got == want, 'ccw_info %s: %r, the kernel shows %r' % (d, got, want))
        c.expect(devs[0].get('subchannel') == '0.0.0000' and devs[1].get('subchannel') == '0.0.0001',
                 'subchannels in creation order: %s' % [e.get('subchannel') for e in devs])
    s = c.ok('info-315-short')
    devs = c.res(s).get('devices') or [{}]
    want = {'device': '0.0.0315', 'subchannel': None, 'ignored': True}
    got = {k: devs[0].get(k) for k in want}
    c.expect(got == want, 'ccw_info 315 (not present, ignored): %r' % got)


def check_driver_override(c):
    sch = c.record['data']['subchannel']
    s = c.ok('vfio_ccw-check', changed=True)
    if s.get('after'):
        c.expect(drv(s['after'], sch) == 'io_subchannel', 'check mode rebound %s to %s' % (sch, drv(s['after'], sch)))
        if 'vfio_ccw' in s['after']['modules']:
            c.find('driver_override in check mode loaded vfio_ccw (modprobe) although it writes nothing else')
    s = c.ok('vfio_ccw', changed=True)
    if s.get('after'):
        v = s['after']
        e = (c.res(s).get('devices') or [{}])[0]
        got = {k: e.get(k) for k in ('bus', 'device', 'driver', 'override', 'persisted')}
        c.expect(got == {'bus': 'css', 'device': sch, 'driver': 'vfio_ccw', 'override': 'vfio_ccw', 'persisted': 'vfio_ccw'},
                 'driver_override vfio_ccw result: %r' % got)
        c.expect('vfio_ccw' in v['modules'], 'vfio_ccw was not loaded (the module modprobes it)')
        c.expect(drv(v, sch) == 'vfio_ccw' and override(v, sch) == 'vfio_ccw',
                 'the kernel shows %s driver %s override %s' % (sch, drv(v, sch), override(v, sch)))
        c.expect('0.0.0313' not in v['ccw'], 'ccw device 0.0.0313 still present with vfio_ccw bound')
        c.expect((v['driverctl_d'].get('css-' + sch) or '').strip() == 'vfio_ccw',
                 '/etc/driverctl.d/css-%s: %r' % (sch, v['driverctl_d'].get('css-' + sch)))
        c.find('driver_override vfio_ccw on %s: actions %s, boot_apply %s' % (sch, e.get('actions'), c.res(s).get('boot_apply')))
    c.ok('vfio_ccw-again', changed=False)
    s = c.ok('ccw_info-on-vfio_ccw')
    e = (c.res(s).get('devices') or [{}])[0]
    got = {k: e.get(k) for k in ('device', 'subchannel', 'subchannel_driver', 'ccw_driver', 'online')}
    c.expect(got == {'device': '0.0.0313', 'subchannel': sch, 'subchannel_driver': 'vfio_ccw', 'ccw_driver': None,
                     'online': None}, 'ccw_info with vfio_ccw bound: %r' % got)


def check_mdev(c):
    d = c.record['data']
    sch, u1, u2 = d['subchannel'], d['uuid'], d['uuid2']
    s = c.ok('define', changed=True)
    if s.get('after'):
        e = (c.res(s).get('devices') or [{}])[0]
        c.expect(e.get('defined') is True and e.get('active') is False, 'define: %r' % e)
        c.expect('%s/%s' % (sch, u1) in s['after']['mdevctl_d'], 'no /etc/mdevctl.d/%s/%s after define' % (sch, u1))
        c.expect(u1 not in s['after']['mdevs'], 'define started the device')
    s = c.ok('start-check', changed=True)
    if s.get('after'):
        c.expect(u1 not in s['after']['mdevs'], 'check mode started the device')
    s = c.ok('start', changed=True)
    if s.get('after'):
        v = s['after']
        e = (c.res(s).get('devices') or [{}])[0]
        c.expect(e.get('active') is True and e.get('defined') is True, 'start: %r' % e)
        m = v['mdevs'].get(u1)
        c.expect(m == {'parent': sch, 'type': 'vfio_ccw-io', 'driver': 'vfio_ccw_mdev'}, 'the kernel shows %s as %r' % (u1, m))
        avail = v['mdev_types'].get(sch, {}).get('vfio_ccw-io', {}).get('available_instances')
        c.expect(avail == '0', 'available_instances after start: %r' % avail)
    c.ok('start-again', changed=False)
    s = c.fails('start-second')
    if s.get('after'):
        v = s['after']
        c.expect(u2 not in v['mdevs'] and u1 in v['mdevs'], 'after the failed second start the kernel has %s' % sorted(v['mdevs']))
        if '%s/%s' % (sch, u2) in v['mdevctl_d']:
            c.find('the failed start of %s left its definition /etc/mdevctl.d/%s/%s' % (u2, sch, u2))
        msg = c.res(s).get('msg', '')
        c.expect('EUSERS' in msg or 'instance' in msg, 'start-second message does not name the cause '
                 '(no instance left): %s' % msg)
    s = c.fails('unbind-parent-refused')
    if s.get('after'):
        v = s['after']
        c.expect(drv(v, sch) == 'vfio_ccw' and u1 in v['mdevs'],
                 'refused unbind changed the kernel: driver %s, mdevs %s' % (drv(v, sch), sorted(v['mdevs'])))
    # a parent that is not bound to vfio_ccw offers no mdev types: a clean failure, nothing left behind
    sch2 = d.get('subchannel2')
    s = c.fails('start-on-io_subchannel')
    if s.get('after'):
        v = s['after']
        c.expect(u2 not in v['mdevs'] and drv(v, sch2) == 'io_subchannel',
                 'after the failed start on %s the kernel shows driver %s, mdevs %s' % (sch2, drv(v, sch2), sorted(v['mdevs'])))
        c.expect('%s/%s' % (sch2, u2) not in v['mdevctl_d'],
                 'the failed start on %s left its definition /etc/mdevctl.d/%s/%s' % (sch2, sch2, u2))


def check_info(c):
    d = c.record['data']
    sch, u1 = d['subchannel'], d['uuid']
    for label in ('mdev_info', 'mdev_info-parent'):
        s = c.ok(label, changed=False)
        v = s.get('after')
        if not v:
            continue
        r = c.res(s)
        defined = {k.split('/')[1] for k in v['mdevctl_d'] if '/' in k}
        kernel = set(v['mdevs']) | defined
        listed = {e.get('uuid') for e in r.get('devices') or []}
        c.expect(listed == kernel, '%s lists %s, the kernel and /etc/mdevctl.d have %s' % (label, sorted(listed), sorted(kernel)))
        for e in r.get('devices') or []:
            if e.get('uuid') == u1:
                got = {k: e.get(k) for k in ('parent', 'mdev_type', 'active', 'defined')}
                c.expect(got == {'parent': sch, 'mdev_type': 'vfio_ccw-io', 'active': True, 'defined': True},
                         '%s entry for %s: %r' % (label, u1, got))
        ktypes = v['mdev_types']
        for parent, types in ktypes.items():
            for t, a in types.items():
                m = (r.get('types') or {}).get(parent, {}).get(t)
                if c.expect(m is not None, '%s lacks type %s of parent %s' % (label, t, parent)):
                    want = {'available_instances': int(a['available_instances']), 'name': a['name'],
                            'device_api': a['device_api'], 'description': a['description']}
                    got = {k: m.get(k) for k in want}
                    c.expect(got == want, '%s type %s/%s: %r, the kernel shows %r' % (label, parent, t, got, want))
        c.expect(set(r.get('types') or {}) == set(ktypes),
                 '%s type parents %s, the kernel %s' % (label, sorted(r.get('types') or {}), sorted(ktypes)))
    s = c.ok('driver_override_info', changed=False)
    v = s.get('after')
    if v:
        r = c.res(s)
        got = {e['device']: e for e in r.get('devices') or [] if e.get('bus') == 'css'}
        c.expect(set(got) == set(v['css']), 'driver_override_info css devices %s, the kernel %s' % (sorted(got), sorted(v['css'])))
        for sc in sorted(set(got) & set(v['css'])):
            e = got[sc]
            want = {'driver': drv(v, sc), 'override': override(v, sc), 'dev_busid': v['css'][sc]['dev_busid']}
            have = {k: e.get(k) for k in want}
            c.expect(have == want, 'driver_override_info %s: %r, the kernel shows %r' % (sc, have, want))
        c.expect((got.get(sch) or {}).get('persisted') == 'vfio_ccw', 'persisted override of %s: %r' % (sch, got.get(sch)))
        others = sorted({e.get('bus') for e in r.get('devices') or []} - {'css'})
        c.find('driver_override_info lists buses %s besides css; summary %s' % (others, r.get('summary')))
    s = c.ok('driver_override_info-css', changed=False)
    c.expect([e.get('device') for e in c.res(s).get('devices') or []] == [sch],
             'overrides_only lists %r' % [e.get('device') for e in c.res(s).get('devices') or []])


def check_mdev_stop(c):
    d = c.record['data']
    sch, u1 = d['subchannel'], d['uuid']
    s = c.ok('stop', changed=True)
    if s.get('after'):
        v = s['after']
        e = (c.res(s).get('devices') or [{}])[0]
        c.expect(e.get('active') is False and e.get('defined') is True, 'stop: %r' % e)
        c.expect(u1 not in v['mdevs'], 'the kernel still has %s after stop' % u1)
        c.expect('%s/%s' % (sch, u1) in v['mdevctl_d'], 'stop removed the definition')
        avail = v['mdev_types'].get(sch, {}).get('vfio_ccw-io', {}).get('available_instances')
        c.expect(avail == '1', 'available_instances after stop: %r' % avail)
    s = c.ok('undefine', changed=True)
    if s.get('after'):
        c.expect('%s/%s' % (sch, u1) not in s['after']['mdevctl_d'], 'undefine left the definition')
    c.ok('undefine-again', changed=False)


def check_driver_override_back(c):
    sch = c.record['data']['subchannel']
    s = c.ok('none', changed=True)
    if s.get('after'):
        v = s['after']
        e = (c.res(s).get('devices') or [{}])[0]
        c.expect(e.get('driver') is None and e.get('override') == 'none', 'driver none: %r' % e)
        c.expect(drv(v, sch) is None and override(v, sch) == 'none', 'the kernel shows driver %s override %s'
                 % (drv(v, sch), override(v, sch)))
    s = c.ok('absent', changed=True)
    if s.get('after'):
        v = s['after']
        e = (c.res(s).get('devices') or [{}])[0]
        got = {k: e.get(k) for k in ('driver', 'override', 'persisted')}
        c.expect(got == {'driver': 'io_subchannel', 'override': None, 'persisted': None}, 'state absent: %r' % got)
        c.expect(drv(v, sch) == 'io_subchannel' and override(v, sch) is None,
                 'the kernel shows driver %s override %s' % (drv(v, sch), override(v, sch)))
        c.expect('css-' + sch not in v['driverctl_d'], '/etc/driverctl.d/css-%s left behind' % sch)
        if '0.0.0313' not in v['ccw']:
            c.find('right after driver_override state=absent returned, ccw device 0.0.0313 was not yet re-registered '
                   '(the kernel does it asynchronously)')
    s = c.step('ccw_info-right-after')
    r = c.res(s)
    e = (r.get('devices') or [{}])[0]
    if s.get('exception') or r.get('failed'):
        c.find('ccw_info right after the rebind to io_subchannel FAILED: %s' % (r.get('msg') or s.get('exception')))
    elif e.get('subchannel') != sch or e.get('ccw_driver') != 'virtio_ccw':
        c.find('ccw_info right after the rebind to io_subchannel: %r (ccw device not back yet)' % e)
    back = c.step('ccw-0313-back').get('seconds')
    c.expect(back is not None, 'ccw device 0.0.0313 did not come back within 20 s of the rebind')
    if back is not None:
        c.find('ccw device 0.0.0313 was back %.2f s after driver_override state=absent returned' % back)
    s = c.ok('ccw_info-settled')
    e = (c.res(s).get('devices') or [{}])[0]
    got = {k: e.get(k) for k in ('subchannel', 'subchannel_driver', 'ccw_driver', 'online')}
    c.expect(got == {'subchannel': sch, 'subchannel_driver': 'io_subchannel', 'ccw_driver': 'virtio_ccw', 'online': True},
             'ccw_info once settled: %r' % got)
    c.ok('absent-again', changed=False)


def check_bind_failure(c):
    sch = c.record['data']['subchannel']
    m = c.step('modprobe-chsc_sch')
    c.expect(m.get('rc') == 0, 'modprobe chsc_sch failed: %s' % m.get('output'))
    s = c.fails('chsc_subchannel')
    if s.get('after'):
        v = s['after']
        c.expect(drv(v, sch) == 'io_subchannel' and override(v, sch) is None,
                 'after the failed bind the kernel shows %s driver %s override %s (expected io_subchannel, no override)'
                 % (sch, drv(v, sch), override(v, sch)))
    normal = [x['elapsed'] for x in c.record['steps'] if x.get('module') and x['label'] != 'chsc_subchannel']
    if s.get('elapsed') and normal and s['elapsed'] > max(normal) + 5:
        c.find('the failing bind took %.1f s against at most %.1f s for the other steps: after drivers_probe '
               '(synchronous for css) left the subchannel unbound, driver_override still waited its whole timeout '
               '(default 10 s) before restoring' % (s['elapsed'], max(normal)))
    back = c.step('ccw-0314-back').get('seconds')
    c.expect(back is not None, 'ccw device 0.0.0314 did not come back within 20 s of the restore')
    s = c.fails('unknown-driver')
    if s.get('after'):
        v = s['after']
        c.expect(drv(v, sch) == 'io_subchannel' and override(v, sch) is None,
                 'after the unknown driver the kernel shows %s driver %s override %s' % (sch, drv(v, sch), override(v, sch)))
    s = c.ok('driver_override_info-after', changed=False)
    got = {e['device']: e for e in c.res(s).get('devices') or []}
    e = got.get(sch) or {}
    c.expect(e.get('driver') == 'io_subchannel' and e.get('override') is None, 'driver_override_info %s: %r' % (sch, e))


def check_conformance(c):
    """The probe ran to its end; lab.sh compares what it saw with the simulated host."""
    d = c.record['data']
    obs = d.get('observations') or {}
    c.expect(d.get('rc') == 0, 'the conformance probe failed (rc %s): %s' % (d.get('rc'), (d.get('output') or '')[-600:]))
    c.expect(len(obs) > 100, 'the conformance probe recorded only %d observations' % len(obs))
    c.find('conformance probe: %d observations in %.1f s' % (len(obs), d.get('seconds') or -1))


def rule_programs(text):
    """The programs a udev rules file runs: the first word of each RUN, IMPORT{program} and PROGRAM value."""
    out = []
    for m in re.finditer(r'(?:RUN(?:\{program\})?|IMPORT\{program\}|PROGRAM)\s*\+?=\s*"([^"]*)"', text or ''):
        words = shlex.split(m.group(1)) if m.group(1).strip() else []
        if words:
            out.append(words[0])
    return out


def rule_lines(text, *needles):
    """The rule lines (comments dropped) that contain every one of ``needles``."""
    return [ln for ln in (text or '').splitlines()
            if not ln.lstrip().startswith('#') and all(n in ln for n in needles)]


def expect_rule(c, files, path, needles, label):
    """``path`` (a udev rules file in the persisted ``files``) has a rule with all ``needles`` whose programs
    under /usr/libexec/vfio-passthrough exist and are executable. Returns the matching rule lines."""
    f = files.get(path)
    if not c.expect(f and 'text' in f, '%s: %s is missing' % (label, path)):
        return []
    lines = rule_lines(f['text'], *needles)
    c.expect(lines, '%s: %s has no rule with %s: %r' % (label, path, ' '.join(needles), f['text']))
    for ln in lines:
        progs = rule_programs(ln)
        c.expect(any(p.startswith(LIBEXEC) for p in progs),
                 '%s: the rule in %s runs no program of %s: %s' % (label, path, LIBEXEC, ln))
        for p in progs:
            if p.startswith(LIBEXEC):
                e = files.get(p) or {}
                c.expect('text' in e and int(e.get('mode', '0'), 8) & 0o111,
                         '%s: %s, run by %s, is missing or not executable: %r' % (label, p, path, e.get('mode')))
    return lines


def rules_with(files, *needles):
    """{path: matching lines} of the persisted udev rules files with a rule containing every one of ``needles``."""
    out = {}
    for p, f in sorted(files.items()):
        if p.startswith('/etc/udev/rules.d/') and 'text' in f:
            lines = rule_lines(f['text'], *needles)
            if lines:
                out[p] = lines
    return out


def enabled_units(files):
    """{unit name: its text} of the units enabled under /etc/systemd/system/*.wants/ (links resolved)."""
    out = {}
    for p, f in files.items():
        if re.match(r'^/etc/systemd/system/[^/]+\.wants/[^/]+$', p) and 'link' in f:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(p), f['link']))
            out[posixpath.basename(p)] = (files.get(target) or {}).get('text')
    return out


def check_reboot_setup(c):
    d = c.record['data']
    sch, u3 = d.get('subchannel'), d['uuid']
    files = c.step('persisted').get('files') or {}
    label = 'persisted'
    with c.part('cio_ignore absent 0.0.0313 0.0.0314 persistent: ok, both free'):
        s = c.ok('cio_ignore')
        if s.get('after'):
            v = s['after']
            for dev in ('0.0.0313', '0.0.0314'):
                c.expect(sch_of(v, dev) and not ignored(v['cio_ignore'], dev), '%s is not free after cio_ignore absent' % dev)
            c.find('cio_ignore absent persistent (after the cio_ignore scenario had freed both): changed=%s'
                   % c.res(s).get('changed'))
    with c.part('cio_ignore persistent: %s frees them at boot (ccw "add")' % CIO_RULE.rsplit('/', 1)[1]):
        expect_rule(c, files, CIO_RULE, ('ACTION=="add"', 'SUBSYSTEM=="subsystem"', 'KERNEL=="ccw"'), label)
    with c.part('ccw_info: 0.0.0313 on subchannel 0.0.0000 (creation order)'):
        c.ok('ccw_info')
        c.expect(sch == '0.0.0000', 'first boot: 0.0.0313 should be on subchannel 0.0.0000, is on %s' % sch)
    with c.part('driver_override css %s vfio_ccw persistent: bound, /etc/driverctl.d/css-%s' % (sch, sch)):
        s = c.ok('driver_override', changed=True)
        if s.get('after'):
            v = s['after']
            c.expect(drv(v, sch) == 'vfio_ccw' and override(v, sch) == 'vfio_ccw',
                     'driver_override: the kernel shows %s driver %s override %s' % (sch, drv(v, sch), override(v, sch)))
            c.expect((v['driverctl_d'].get('css-%s' % sch) or '').strip() == 'vfio_ccw',
                     '/etc/driverctl.d/css-%s: %r' % (sch, v['driverctl_d'].get('css-%s' % sch)))
    with c.part('driver_override persistent: the device number recorded (/etc/vfio-passthrough/css.d/0.0.0313)'):
        rec = files.get('/etc/vfio-passthrough/css.d/0.0.0313')
        c.expect(rec and 'text' in rec, '%s: /etc/vfio-passthrough/css.d/0.0.0313 (the device number of %s) is missing; '
                 'has %s' % (label, sch, sorted(p for p in files if p.startswith('/etc/vfio-passthrough/'))))
    with c.part('driver_override persistent: %s (css "add", IMPORT{program})' % CSS_RULE.rsplit('/', 1)[1]):
        lines = expect_rule(c, files, CSS_RULE, ('ACTION=="add"', 'SUBSYSTEM=="css"'), label)
        c.expect(any('IMPORT{program}' in ln for ln in lines), '%s: %s has no IMPORT{program}: %r' % (label, CSS_RULE, lines))
    with c.part('driver_override without driverctl: %s and vfio-passthrough-overrides.service enabled'
                % OVERRIDES_RULE.rsplit('/', 1)[1]):
        expect_rule(c, files, OVERRIDES_RULE, ('ACTION=="add"',), label)
        units = enabled_units(files)
        c.expect('vfio-passthrough-overrides.service' in units, '%s: vfio-passthrough-overrides.service is not enabled: %s'
                 % (label, sorted(units)))
    with c.part('mdev %s autostart auto started: running on %s, /etc/mdevctl.d/%s/%s "start": "auto"' % (u3, sch, sch, u3)):
        s = c.ok('mdev', changed=True)
        if s.get('after'):
            v = s['after']
            m = v['mdevs'].get(u3)
            c.expect(m == {'parent': sch, 'type': 'vfio_ccw-io', 'driver': 'vfio_ccw_mdev'},
                     'mdev %s in the kernel: %r' % (u3, m))
            conf = v['mdevctl_d'].get('%s/%s' % (sch, u3))
            try:
                start = json.loads(conf).get('start') if conf else None
            except ValueError:
                start = '<not JSON>'
            c.expect(start == 'auto', '/etc/mdevctl.d/%s/%s: "start" is %r, expected "auto" (%r)' % (sch, u3, start, conf))
    with c.part('mdev autostart auto without mdevctl: a udev rule starts auto mdevs (MDEV_STATE registered, "add")'):
        reg = rules_with(files, 'ACTION=="change"', 'ENV{MDEV_STATE}=="registered"')
        c.expect(reg, '%s: no udev rule starts auto mdevs when their parent registers (ACTION=="change", '
                 'ENV{MDEV_STATE}=="registered"); rules: %s'
                 % (label, sorted(p for p in files if p.startswith('/etc/udev/rules.d/'))))
        for path in reg:
            expect_rule(c, files, path, ('ACTION=="change"', 'ENV{MDEV_STATE}=="registered"'), label)
            c.expect(rule_lines(files[path]['text'], 'ACTION=="add"'),
                     '%s: %s has no ACTION=="add" rule for a parent that appears' % (label, path))
    c.find('enabled units after the first boot: %s' % sorted(enabled_units(files)))


def check_reboot(c):
    d = c.record['data']
    u3 = d['uuid']
    boot = d.get('boot') or {}
    new, other = '0.0.0001', '0.0.0000'   # the subchannels of 0.0.0313 and 0.0.0314 in the second guest
    with c.part('the second guest booted with the first one\'s /etc, cio_ignore=all,!condev'):
        c.expect(boot.get('state') == 'restored', 'the first guest\'s /etc was not restored: %r' % boot.get('state'))
        c.expect('cio_ignore=all,!condev' in (d.get('cmdline') or ''), 'kernel command line %r' % d.get('cmdline'))
    with c.part('udev booted: systemd-udevd, coldplug trigger, settle'):
        udev_boot(c, boot, 'udev')
    with c.part('no program of the collection failed under udev'):
        for ln in boot.get('udev_failures') or []:
            c.expect('vfio-passthrough' not in ln, 'a program of the collection failed under udev: %s' % ln.strip())
    with c.part('the enabled units (what systemd would start) exited 0'):
        for u in boot.get('units') or []:
            c.expect(not u.get('error'), 'unit %s: %s' % (u['unit'], u.get('error')))
            for cmd in u.get('commands') or []:
                c.expect(cmd['rc'] == 0 or cmd.get('ignore_failure'), 'unit %s: %s exited %s: %s'
                         % (u['unit'], cmd['cmd'], cmd['rc'], cmd.get('output', '')[-300:]))
            c.find('unit %s %s' % (u['unit'], 'skipped (condition)' if u.get('skipped') else ', '.join(
                '%s rc %s in %.1f s' % (x['cmd'], x['rc'], x['seconds']) for x in u.get('commands') or [])))
    s = c.step('after-boot')
    v, files = s.get('after'), s.get('files') or {}
    if v:
        with c.part('0.0.0313 and 0.0.0314 freed at boot (persistent cio_ignore), on swapped subchannels'):
            a, b = sch_of(v, '0.0.0313'), sch_of(v, '0.0.0314')
            c.expect(a, '0.0.0313 has no subchannel: the persistent cio_ignore did not free it at boot '
                     '(/proc/cio_ignore %r)' % v['cio_ignore'])
            c.expect(b, '0.0.0314 has no subchannel: the persistent cio_ignore did not free it at boot')
            c.expect(not a or a == new, '0.0.0313 is on %s, expected %s (disks attached in the opposite order)' % (a, new))
            c.expect(not b or b == other, '0.0.0314 is on %s, expected %s' % (b, other))
        with c.part('%s (now 0.0.0313) on vfio_ccw' % new):
            c.expect(drv(v, new) == 'vfio_ccw', '%s is on %s, not vfio_ccw (override %s)' % (new, drv(v, new), override(v, new)))
        with c.part('mdev %s running on %s' % (u3, new)):
            m = v['mdevs'].get(u3)
            c.expect(m == {'parent': new, 'type': 'vfio_ccw-io', 'driver': 'vfio_ccw_mdev'},
                     'mdev %s after the boot: %r (the kernel has %s), expected running on %s' % (u3, m, sorted(v['mdevs']), new))
        with c.part('%s (now 0.0.0314) not on vfio_ccw' % other):
            c.expect(drv(v, other) != 'vfio_ccw' and override(v, other) != 'vfio_ccw',
                     '%s (0.0.0314) is on vfio_ccw (driver %s, override %s): the override followed the subchannel '
                     'number, not the device' % (other, drv(v, other), override(v, other)))
        if drv(v, other) != 'io_subchannel' or '0.0.0314' not in v['ccw']:
            c.find('%s (0.0.0314) driver %s, ccw device 0.0.0314 %s' % (
                other, drv(v, other), 'present' if '0.0.0314' in v['ccw'] else 'missing'))
        with c.part('/etc/driverctl.d/css-%s exists, css-%s does not' % (new, other)):
            c.expect((v['driverctl_d'].get('css-' + new) or '').strip() == 'vfio_ccw',
                     '/etc/driverctl.d/css-%s: %r (driverctl.d has %s)'
                     % (new, v['driverctl_d'].get('css-' + new), sorted(v['driverctl_d'])))
            c.expect('css-' + other not in v['driverctl_d'], '/etc/driverctl.d/css-%s still exists' % other)
        with c.part('/etc/mdevctl.d/%s/%s exists, nothing under /etc/mdevctl.d/%s' % (new, u3, other)):
            c.expect('%s/%s' % (new, u3) in v['mdevctl_d'], '/etc/mdevctl.d/%s/%s is missing (mdevctl.d has %s)'
                     % (new, u3, sorted(v['mdevctl_d'])))
            left = sorted(k for k in v['mdevctl_d'] if k.startswith(other + '/'))
            c.expect(not left, '/etc/mdevctl.d/%s still has %s' % (other, left))
        if '/etc/mdevctl.d/' + other in files and not [k for k in v['mdevctl_d'] if k.startswith(other + '/')]:
            c.find('an empty directory /etc/mdevctl.d/%s is left' % other)
        sch16 = sch_of(v, '0.0.0316')
        c.find('0.0.0316 (freed, then ignored again, in the first guest) %s after the reboot'
               % ('has subchannel %s' % sch16 if sch16 else 'is ignored'))
    with c.part('ccw_info: 0.0.0313 on %s' % new):
        s = c.ok('ccw_info')
        devs = {e.get('device'): e for e in c.res(s).get('devices') or []}
        c.expect((devs.get('0.0.0313') or {}).get('subchannel') == new,
                 'ccw_info puts 0.0.0313 on %r' % (devs.get('0.0.0313') or {}).get('subchannel'))
        c.expect(d.get('subchannel') == new, 'the calls below ran on %s' % d.get('subchannel'))
    with c.part('cio_ignore again: changed=false'):
        c.ok('cio_ignore-again', changed=False)
    with c.part('driver_override css %s vfio_ccw again: changed=false' % new):
        c.ok('driver_override-again', changed=False)
    with c.part('mdev %s on %s again: changed=false' % (u3, new)):
        c.ok('mdev-again', changed=False)
    with c.part('ccw_passthrough 0.0.0313 (the vfio_ccw role\'s module) again: changed=false, %s, %s' % (new, u3)):
        s = c.ok('ccw_passthrough-again', changed=False)
        got = (c.res(s).get('devices') or [{}])[0]
        c.expect((got.get('subchannel'), got.get('uuid')) == (new, u3), 'ccw_passthrough reports %r' % got)
    cpu_finding(c, d.get('cpu'))
    with c.part('no BUG/WARNING/Oops in dmesg'):
        out = c.step('dmesg').get('output') or ''
        bad = [ln for ln in out.splitlines() if re.search(r'BUG|WARNING:|Oops|Call Trace|kernel panic', ln)]
        c.expect(not bad, 'the kernel logged problems: %s' % bad[:5])


def state(console, out):
    """Reassemble the first guest's LAB-STATE chunks into ``out``; 0 if complete and its checksum matches."""
    parts, want = None, None
    with open(console, 'rb') as f:
        for raw in f:
            line = raw.decode('utf-8', 'replace').replace('\r', '')
            m = STATE.search(line)
            if m:
                i, n = int(m.group(1)), int(m.group(2))
                if parts is None or len(parts) != n:
                    parts = [None] * n
                parts[i - 1] = m.group(3)
            m = STATE_SUM.search(line)
            if m:
                want = (m.group(1), int(m.group(2)))
    if parts is None or None in parts or want is None:
        print('check.py: the first guest\'s /etc is not complete on its console (%s)'
              % ('no LAB-STATE lines' if parts is None else 'no checksum' if want is None else
                 'chunks %s missing' % [i + 1 for i, p in enumerate(parts) if p is None]))
        return 1
    data = base64.b64decode(''.join(parts))
    if (hashlib.sha256(data).hexdigest(), len(data)) != want:
        print('check.py: the first guest\'s /etc arrived damaged (sha256 or size differ)')
        return 1
    with open(out, 'wb') as f:
        f.write(data)
    return 0


def cpu_finding(c, cpu):
    if cpu:
        c.find('guest CPU so far: %.1f s busy, %.1f s idle; udevd and its workers and programs %.1f s'
               % (cpu['busy'], cpu['idle'], cpu['udevd']))


def check_end(c):
    cpu_finding(c, c.record['data'].get('cpu'))
    out = c.step('dmesg').get('output') or ''
    bad = [ln for ln in out.splitlines() if re.search(r'BUG|WARNING:|Oops|Call Trace|kernel panic', ln)]
    c.expect(not bad, 'the kernel logged problems: %s' % bad[:5])


def main():
    if sys.argv[1] == '--state':
        return state(sys.argv[2], sys.argv[3])
    consoles, out = sys.argv[1:-1], sys.argv[-1]
    records, broken = parse(consoles)
    with open(out, 'w') as f:
        json.dump(records, f, indent=1, sort_keys=True)
    failed, findings = 0, []
    for name in SCENARIOS:
        rec = records.get(name)
        if rec is None:
            print('FAIL %-22s no record on the console%s' % (name, ' (%s)' % broken[name] if name in broken else ''))
            failed += 1
            continue
        c = Check(rec)
        try:
            globals()['check_' + name](c)
        except Exception as e:  # a malformed record is a failure of that scenario, not of the checker
            c.failures.append('checker error: %r' % e)
        for s in rec['steps']:
            if s.get('exception') and 'the module raised' not in ' '.join(c.failures):
                c.failures.append('%s: traceback: %s' % (s['label'], s['exception'].strip().splitlines()[-1]))
        steps = ', '.join('%s %.1fs' % (s['label'], s['elapsed']) for s in rec['steps'] if 'elapsed' in s)
        print('%s %-22s %5.1fs  %s' % ('FAIL' if c.failures else 'PASS', name, rec['elapsed'], steps))
        shown = set()
        for part, fails in c.parts:
            print('     %s %s' % ('FAIL' if fails else 'pass', part))
            for f in fails:
                print('          - %s' % f)
            shown.update(fails)
        for f in c.failures:
            if f not in shown:
                print('     - %s' % f)
        failed += bool(c.failures)
        findings += ['%s: %s' % (name, f) for f in c.findings]
    if findings:
        print('findings (not failures):')
        for f in findings:
            print('  * %s' % f)
    print('%d of %d scenarios passed' % (len(SCENARIOS) - failed, len(SCENARIOS)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
