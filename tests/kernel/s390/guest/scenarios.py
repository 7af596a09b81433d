"""The s390 lab's scenarios, run inside the guest against the real kernel (root /).

Every step runs one of the collection's modules in a fresh interpreter (run_module.py, as Ansible
runs a module) and records its result together with what the kernel shows right after it
(sysfs, /proc/cio_ignore, /proc/modules, the config files the modules write). Each scenario's
record goes to the console as base64 JSON between markers:

    LAB-RESULT <scenario> <i>/<n> <chunk>

and a readable summary line per step (LAB-STEP). Nothing is asserted here: tests/kernel/s390/check.py
holds the records to what the kernel must have done, on the host.

Two boots. The first guest runs the scenarios up to `end`, with `reboot_setup` (persistent cio_ignore,
driver_override and an `auto` mdev) last, and then prints its /etc and /usr/libexec/vfio-passthrough as a
base64 tar.gz (LAB-STATE <i>/<n> <chunk>, then LAB-STATE-SHA256 <hex>). lab.sh puts that into the second
guest's initramfs (/lab/state.tar.gz) and attaches the disks in the opposite order; the second guest runs
the scenario `reboot` only.
"""
import base64
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import sys
import tarfile
import time

U1 = '7e270a25-e163-4922-af60-757fc8ed48c6'
U2 = 'b29e4ca9-5cdb-4ee1-a01b-79085b9ab237'
U3 = '3f0e8b52-2d1c-4a8e-9f6b-1c0d2e3f4a5b'   # the reboot scenario's mdev (autostart auto)
STATE = '/lab/state.tar.gz'                 # present in the second guest only: the first guest's /etc
PERSISTED = ['/etc', '/usr/libexec/vfio-passthrough']   # what the reboot keeps
BOOT = '/run/lab-boot'                      # what /init recorded while udev booted
T0 = time.time()


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return None if e.errno == 2 else '<%s>' % os.strerror(e.errno)


def link(path):
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return None


def ls(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def files(top):
    """{relative path: content} of the regular files below ``top``."""
    out = {}
    for d, dummy, names in os.walk(top):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, top)] = read(p)
    return out


def kernel_view():
    """What the kernel (and the configuration the modules write) shows now."""
    css = {}
    for s in ls('/sys/bus/css/devices'):
        p = '/sys/bus/css/devices/' + s
        busid = read(p + '/dev_busid')
        css[s] = {'driver': link(p + '/driver'), 'driver_override': read(p + '/driver_override'),
                  'dev_busid': busid.strip() if busid else None, 'type': (read(p + '/type') or '').strip(),
                  'children': [c for c in ls(p) if c.startswith('0.')],
                  'mdev_types': ls(p + '/mdev_supported_types')}
    ccw = {}
    for d in ls('/sys/bus/ccw/devices'):
        p = '/sys/bus/ccw/devices/' + d
        ccw[d] = {'driver': link(p + '/driver'), 'online': (read(p + '/online') or '').strip(),
                  'subchannel': os.path.basename(os.path.dirname(os.path.realpath(p)))}
    mdevs = {}
    for u in ls('/sys/bus/mdev/devices'):
        p = '/sys/bus/mdev/devices/' + u
        mdevs[u] = {'parent': os.path.basename(os.path.dirname(os.path.realpath(p))),
                    'type': link(p + '/mdev_type'), 'driver': link(p + '/driver')}
    types = {}
    for parent in ls('/sys/class/mdev_bus'):
        tdir = '/sys/class/mdev_bus/%s/mdev_supported_types' % parent
        for t in ls(tdir):
            types.setdefault(parent, {})[t] = {
                a: (read('%s/%s/%s' % (tdir, t, a)) or '').strip() or None
                for a in ('available_instances', 'name', 'device_api', 'description')}
    modules = sorted(line.split()[0] for line in (read('/proc/modules') or '').splitlines())
    return {'uptime': float(read('/proc/uptime').split()[0]), 'css': css, 'ccw': ccw, 'mdevs': mdevs,
            'mdev_types': types, 'cio_ignore': read('/proc/cio_ignore'), 'modules': modules,
            'css_drivers': ls('/sys/bus/css/drivers'), 'driverctl_d': files('/etc/driverctl.d'),
            'mdevctl_d': files('/etc/mdevctl.d')}


def sch_of(view, busid):
    for s, d in view['css'].items():
        if d['dev_busid'] == busid:
            return s
    return None


class Scenario(object):
    def __init__(self, name):
        self.name = name
        self.steps = []
        self.started = time.time()
        self.data = {}
        print('LAB-SCENARIO %s start (guest +%.1fs)' % (name, time.time() - T0), flush=True)

    def run(self, label, module, args, check=False):
        """Run ``module`` with ``args``; record its result and the kernel's view after it."""
        start = time.time()
        cmd = [sys.executable, '/lab/run_module.py', module, json.dumps(args)] + (['check'] if check else [])
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600, check=False)
            try:
                rec = json.loads(proc.stdout.decode().strip().splitlines()[-1])
            except (ValueError, IndexError):
                rec = {'rc': proc.returncode, 'result': None, 'stdout': proc.stdout.decode(errors='replace'),
                       'exception': 'run_module.py printed no JSON'}
            rec['stderr'] = proc.stderr.decode(errors='replace')[-4000:]
        except subprocess.TimeoutExpired:
            rec = {'rc': None, 'result': None, 'exception': 'timed out after 600s', 'stderr': ''}
        rec.update(label=label, module=module, args=args, check_mode=check, elapsed=round(time.time() - start, 2))
        rec['after'] = kernel_view()
        self.steps.append(rec)
        r = rec['result'] or {}
        msg = r.get('msg') or (rec.get('exception') or '').strip().splitlines()[-1:] or ''
        if isinstance(msg, list):
            msg = msg[0] if msg else ''
        print('LAB-STEP %s %-28s rc=%s changed=%s failed=%s %.1fs %s' % (
            self.name, label, rec['rc'], r.get('changed'), r.get('failed', False), rec['elapsed'],
            str(msg).replace('\n', ' ')[:300]), flush=True)
        return rec

    def note(self, label, **data):
        """Record an observation that is not a module run (a setup command, a wait)."""
        rec = dict(label=label, module=None, **data)
        rec['after'] = kernel_view()
        self.steps.append(rec)
        print('LAB-STEP %s %-28s %s' % (self.name, label, json.dumps(data)[:300]), flush=True)
        return rec

    def emit(self):
        record = {'name': self.name, 'elapsed': round(time.time() - self.started, 1), 'steps': self.steps,
                  'data': self.data}
        text = base64.b64encode(json.dumps(record).encode()).decode()
        size = 800
        chunks = [text[i:i + size] for i in range(0, len(text), size)] or ['']
        for i, c in enumerate(chunks):
            print('LAB-RESULT %s %d/%d %s' % (self.name, i + 1, len(chunks), c), flush=True)
        print('LAB-SCENARIO %s done in %.1fs (%d steps)' % (self.name, record['elapsed'], len(self.steps)), flush=True)


def wait_for(cond, timeout):
    """Seconds until ``cond()`` held (polling every 50 ms), or None after ``timeout``."""
    start = time.time()
    while True:
        if cond():
            return round(time.time() - start, 2)
        if time.time() - start > timeout:
            return None
        time.sleep(0.05)


def command(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    return {'cmd': ' '.join(args), 'rc': p.returncode, 'output': p.stdout.decode(errors='replace')}


def persist_view():
    """What the collection persisted: rules, scripts, units (links with their targets) and its config files."""
    out = {}
    for top in ('/etc/udev/rules.d', '/usr/libexec/vfio-passthrough', '/etc/vfio-passthrough', '/etc/systemd/system',
                '/etc/driverctl.d', '/etc/mdevctl.d'):
        for d, dirs, names in os.walk(top):
            for n in sorted(dirs + names):
                p = os.path.join(d, n)
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    out[p] = {'link': os.readlink(p), 'resolves': os.path.exists(p)}
                elif stat.S_ISREG(st.st_mode):
                    out[p] = {'mode': '%o' % (st.st_mode & 0o7777), 'text': read(p)}
                elif stat.S_ISDIR(st.st_mode) and not os.path.islink(p):
                    out[p] = {'dir': True}
    return out


# what systemd-udevd 252 logs when a program fails, hangs or is killed, and when a worker dies
UDEV_FAILURE = re.compile(r"Process '.*' (failed|terminated)|Failed to execute|returned \d+ \(error\)|timed out|"
                          r"is taking a long time|Worker \[\d+\] (failed|terminated|processing SEQNUM=\d+ killed)")


def boot_record():
    """How udev booted (/init's timings, exit codes, the failures udevd logged) and the units /lab/units.py ran."""
    times, rcs = {}, {}
    for line in (read(BOOT + '/times') or '').splitlines():
        k, dummy, v = line.partition(' ')
        (rcs if k.endswith('_rc') else times)[k] = v
    log = (read(BOOT + '/udevd.log') or '').splitlines()
    try:
        with open(BOOT + '/units.json') as f:
            units = json.load(f)
    except (OSError, ValueError):
        units = None
    return {'state': (read(BOOT + '/state') or '').strip() or None,
            'times': {k: float(v) for k, v in times.items() if re.match(r'^[0-9.]+$', v)},
            'rcs': {k: int(v) for k, v in rcs.items() if re.match(r'^-?[0-9]+$', v)},
            'trigger_output': (read(BOOT + '/trigger.log') or '')[-2000:],
            'settle_output': (read(BOOT + '/settle.log') or '')[-2000:],
            'udevd_running': os.path.exists('/run/udev/control'),
            'udev_log_lines': len(log),
            'udev_failures': [ln for ln in log if UDEV_FAILURE.search(ln)][:200],
            'udev_vfio_passthrough': [ln for ln in log if 'vfio-passthrough' in ln or 'vfio_ccw' in ln][:400],
            'udev_kmod': [ln for ln in log if 'kmod' in ln.lower()][:60],
            'units': units}


def cpu_record():
    """CPU seconds so far: udevd (with its finished workers and programs) and the whole guest, busy and idle."""
    hz = os.sysconf('SC_CLK_TCK')
    udev = 0
    for pid in ls('/proc'):
        st = read('/proc/%s/stat' % pid) if pid.isdigit() else None
        if not st or ')' not in st:
            continue
        comm, f = st[st.index('(') + 1:st.rindex(')')], st[st.rindex(')') + 2:].split()
        if comm == 'systemd-udevd' or comm.startswith('(udev-worker'):
            udev += sum(int(x) for x in f[11:15])   # utime stime cutime cstime
    cpu = [int(x) for x in (read('/proc/stat') or 'cpu 0 0 0 0 0').splitlines()[0].split()[1:]]
    idle = sum(cpu[3:5])
    return {'udevd': round(udev / hz, 2), 'busy': round((sum(cpu) - idle) / hz, 2), 'idle': round(idle / hz, 2)}


def emit_state():
    """The persisted directories as a base64 tar.gz on the console, for the second guest (the reboot)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w:gz', format=tarfile.GNU_FORMAT) as tar:
        for top in PERSISTED:
            if os.path.lexists(top):
                tar.add(top, arcname=top.lstrip('/'))
    data = buf.getvalue()
    text = base64.b64encode(data).decode()
    chunks = [text[i:i + 800] for i in range(0, len(text), 800)] or ['']
    for i, c in enumerate(chunks):
        print('LAB-STATE %d/%d %s' % (i + 1, len(chunks), c), flush=True)
    print('LAB-STATE-SHA256 %s %d' % (hashlib.sha256(data).hexdigest(), len(data)), flush=True)


def reboot_setup():
    """First boot: free 0.0.0313 and 0.0.0314 for good, put 0.0.0313's subchannel on vfio_ccw for good and
    define and start an ``auto`` mdev on it. The second guest boots with what these runs persisted."""
    s = Scenario('reboot_setup')
    s.data.update(uuid=U3)
    s.run('cio_ignore', 'cio_ignore', {'devices': ['0.0.0313', '0.0.0314'], 'state': 'absent', 'persistent': True})
    r = s.run('ccw_info', 'ccw_info', {'devices': ['0.0.0313']})
    e = ((r.get('result') or {}).get('devices') or [{}])[0]
    sch = e.get('subchannel') or sch_of(r['after'], '0.0.0313') or '0.0.0000'
    s.data.update(subchannel=sch)
    s.run('driver_override', 'driver_override', {'bus': 'css', 'device': sch, 'driver': 'vfio_ccw', 'persistent': True})
    s.run('mdev', 'mdev', {'parent': sch, 'type': 'vfio_ccw-io', 'uuid': U3, 'autostart': 'auto', 'state': 'started'})
    s.note('persisted', files=persist_view())
    s.emit()


def reboot():
    """Second boot, the disks attached in the opposite order (0.0.0313 on subchannel 0.0.0001 now): what udev
    and the units brought back, then the same module calls with the subchannel looked up again."""
    s = Scenario('reboot')
    s.data.update(uuid=U3, boot=boot_record(), cmdline=read('/proc/cmdline'))
    s.note('after-boot', files=persist_view())
    r = s.run('ccw_info', 'ccw_info', {'devices': ['0.0.0313', '0.0.0314']})
    devs = (r.get('result') or {}).get('devices') or []
    sch = (devs[0].get('subchannel') if devs else None) or sch_of(r['after'], '0.0.0313') or '0.0.0001'
    s.data.update(subchannel=sch)
    s.run('cio_ignore-again', 'cio_ignore', {'devices': ['0.0.0313', '0.0.0314'], 'state': 'absent', 'persistent': True})
    s.run('driver_override-again', 'driver_override',
          {'bus': 'css', 'device': sch, 'driver': 'vfio_ccw', 'persistent': True})
    s.run('mdev-again', 'mdev', {'parent': sch, 'type': 'vfio_ccw-io', 'uuid': U3, 'autostart': 'auto',
                                 'state': 'started'})
    # the vfio_ccw role's one module, from the device number alone: it must find the subchannel itself
    s.run('ccw_passthrough-again', 'ccw_passthrough', {'devices': [{'device': '0.0.0313', 'uuid': U3}]})
    s.note('dmesg', **command(['dmesg']))
    s.data.update(cpu=cpu_record())
    s.emit()
    return 0


def main():
    if os.path.exists(STATE):
        return reboot()
    s = Scenario('boot')
    u = os.uname()
    s.data.update(uname={'release': u.release, 'version': u.version, 'machine': u.machine},
                  cmdline=read('/proc/cmdline'), python=sys.version, env_root=os.environ.get('VFIO_PASSTHROUGH_ROOT'),
                  modprobe=command(['which', 'modprobe']), modules_dep=os.path.exists(
                      '/lib/modules/%s/modules.dep' % os.uname().release), udev=boot_record())
    s.note('boot')
    s.emit()

    # cio_ignore: the three disks are ignored at boot (cio_ignore=all,!condev)
    s = Scenario('cio_ignore')
    s.run('free-0313-check', 'cio_ignore', {'devices': ['0.0.0313'], 'state': 'absent'}, check=True)
    s.run('free-0313', 'cio_ignore', {'devices': ['0.0.0313'], 'state': 'absent'})
    s.run('free-0313-again', 'cio_ignore', {'devices': ['0.0.0313'], 'state': 'absent'})
    s.run('free-0314-0316', 'cio_ignore', {'devices': ['0.0.0314', '0.0.0316'], 'state': 'absent'})
    s.run('ignore-0316', 'cio_ignore', {'devices': ['0.0.0316'], 'state': 'present'})
    s.run('ignore-0316-again', 'cio_ignore', {'devices': ['0.0.0316'], 'state': 'present'})
    s.emit()

    s = Scenario('ccw_info')
    s.run('info-0313-0314', 'ccw_info', {'devices': ['0.0.0313', '0.0.0314']})
    s.run('info-315-short', 'ccw_info', {'devices': ['315']})
    s.emit()

    view = kernel_view()
    sch = sch_of(view, '0.0.0313') or '0.0.0000'
    sch2 = sch_of(view, '0.0.0314') or '0.0.0001'

    s = Scenario('driver_override')
    s.data.update(subchannel=sch)
    s.run('vfio_ccw-check', 'driver_override', {'bus': 'css', 'device': sch, 'driver': 'vfio_ccw'}, check=True)
    s.run('vfio_ccw', 'driver_override', {'bus': 'css', 'device': sch, 'driver': 'vfio_ccw'})
    s.run('vfio_ccw-again', 'driver_override', {'bus': 'css', 'device': sch, 'driver': 'vfio_ccw'})
    s.run('ccw_info-on-vfio_ccw', 'ccw_info', {'devices': ['0.0.0313']})
    s.emit()

    s = Scenario('mdev')
    s.data.update(subchannel=sch, subchannel2=sch2, uuid=U1, uuid2=U2)
    base = {'parent': sch, 'type': 'vfio_ccw-io'}
    s.run('define', 'mdev', dict(base, uuid=U1, state='defined'))
    s.run('start-check', 'mdev', dict(base, uuid=U1, state='started'), check=True)
    s.run('start', 'mdev', dict(base, uuid=U1, state='started'))
    s.run('start-again', 'mdev', dict(base, uuid=U1, state='started'))
    s.run('start-second', 'mdev', dict(base, uuid=U2, state='started'))
    s.run('unbind-parent-refused', 'driver_override', {'bus': 'css', 'device': sch, 'state': 'absent'})
    s.run('start-on-io_subchannel', 'mdev', {'parent': sch2, 'type': 'vfio_ccw-io', 'uuid': U2, 'state': 'started'})
    s.emit()

    s = Scenario('info')
    s.data.update(subchannel=sch, uuid=U1)
    s.run('mdev_info', 'mdev_info', {})
    s.run('mdev_info-parent', 'mdev_info', {'parent': sch})
    s.run('driver_override_info', 'driver_override_info', {})
    s.run('driver_override_info-css', 'driver_override_info', {'bus': ['css'], 'overrides_only': True})
    s.emit()

    s = Scenario('mdev_stop')
    s.data.update(subchannel=sch, uuid=U1)
    s.run('stop', 'mdev', {'uuid': U1, 'state': 'stopped'})
    s.run('undefine', 'mdev', {'uuid': U1, 'state': 'absent'})
    s.run('undefine-again', 'mdev', {'uuid': U1, 'state': 'absent'})
    s.emit()

    s = Scenario('driver_override_back')
    s.data.update(subchannel=sch)
    s.run('none', 'driver_override', {'bus': 'css', 'device': sch, 'driver': 'none', 'persistent': False})
    s.run('absent', 'driver_override', {'bus': 'css', 'device': sch, 'state': 'absent'})
    s.run('ccw_info-right-after', 'ccw_info', {'devices': ['0.0.0313']})
    s.note('ccw-0313-back', seconds=wait_for(lambda: os.path.exists('/sys/bus/ccw/devices/0.0.0313'), 20))
    s.run('ccw_info-settled', 'ccw_info', {'devices': ['0.0.0313']})
    s.run('absent-again', 'driver_override', {'bus': 'css', 'device': sch, 'state': 'absent'})
    s.emit()

    # a bind that fails: chsc_subchannel only takes CHSC subchannels, so it refuses an I/O subchannel
    s = Scenario('bind_failure')
    s.data.update(subchannel=sch2)
    s.note('modprobe-chsc_sch', **command(['modprobe', 'chsc_sch']))
    s.run('chsc_subchannel', 'driver_override',
          {'bus': 'css', 'device': sch2, 'driver': 'chsc_subchannel', 'persistent': False})
    s.note('ccw-0314-back', seconds=wait_for(lambda: os.path.exists('/sys/bus/ccw/devices/0.0.0314'), 20))
    s.run('unknown-driver', 'driver_override',
          {'bus': 'css', 'device': sch2, 'driver': 'vfio-ccw', 'persistent': False})
    s.run('driver_override_info-after', 'driver_override_info', {'bus': ['css']})
    s.emit()
    # the conformance probe (tests/kernel/conformance.py) on the two virtio disks; the host compares its
    # observations with the simulated seed host's (lab.sh, compare.py)
    s = Scenario('conformance')
    start = time.time()
    out = '/tmp/conformance.json'
    proc = subprocess.run([sys.executable, '/lab/conformance.py', '/', out, '0.0.0313', '0.0.0314'],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600, check=False)
    try:
        with open(out) as f:
            observations = json.load(f)
    except (OSError, ValueError):
        observations = None
    s.data.update(rc=proc.returncode, output=proc.stdout.decode(errors='replace')[-4000:],
                  seconds=round(time.time() - start, 1), observations=observations)
    print('LAB-STEP conformance %d observations in %.1fs, rc %s' % (
        len(observations or {}), time.time() - start, proc.returncode), flush=True)
    s.emit()

    reboot_setup()

    s = Scenario('end')
    s.note('dmesg', **command(['dmesg']))
    s.data.update(cpu=cpu_record())
    s.emit()
    emit_state()
    return 0


if __name__ == '__main__':
    sys.exit(main())
