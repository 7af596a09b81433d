"""check.py CONSOLE_LOG RESULTS_JSON: hold the s390 guest's records to what the real kernel must show.

Reads the records guest/scenarios.py printed on the console (LAB-RESULT <scenario> <i>/<n>
<base64 chunk>), writes them to RESULTS_JSON, prints one PASS/FAIL line per scenario with the
reasons, then the findings (what the collection did on the real kernel that is worth knowing but
not a failure), and exits 1 when a scenario failed or is missing.
"""
import base64
import json
import re
import sys

SCENARIOS = ['boot', 'cio_ignore', 'ccw_info', 'driver_override', 'mdev', 'info', 'mdev_stop',
             'driver_override_back', 'bind_failure', 'conformance', 'end']
MARK = re.compile(r'LAB-RESULT (\S+) (\d+)/(\d+) (\S*)')


def parse(path):
    chunks = {}
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


def check_boot(c):
    v = c.step('boot')['after']
    d = c.record['data']
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


def check_end(c):
    out = c.step('dmesg').get('output') or ''
    bad = [ln for ln in out.splitlines() if re.search(r'BUG|WARNING:|Oops|Call Trace|kernel panic', ln)]
    c.expect(not bad, 'the kernel logged problems: %s' % bad[:5])


def main():
    console, out = sys.argv[1], sys.argv[2]
    records, broken = parse(console)
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
        for f in c.failures:
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
