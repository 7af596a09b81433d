"""The boot of a simulated host: udev's coldplug and event queue, then the enabled systemd units.

``simhost reboot`` builds a fresh kernel and then calls ``boot(root)``, which does what a real boot
does with the files below ROOT once the kernel is up:

1. udevd starts: the uevents the kernel sent while it came up went by unseen (as on a host without
   an initrd udev); systemd-udev-trigger replays them: ``udevadm trigger --type=subsystems
   --action=add`` then ``--type=devices --action=add``, each a write of ``add`` to a ``uevent`` file,
   which the simulated kernel answers with a uevent (SYNTH_UUID=0) in ``ROOT/.simhost/uevents.jsonl``;
2. every event, in order, goes through the rules of ROOT/usr/lib/udev/rules.d, ROOT/lib/udev/rules.d,
   ROOT/run/udev/rules.d and ROOT/etc/udev/rules.d (``udevrules``), then its RUN programs run; what
   they write makes new events, queued behind; this runs until no event is left (settled);
3. the units enabled through ROOT/etc/systemd/system/*.wants/ and those wanted by devices
   (``TAG+="systemd"`` with ``ENV{SYSTEMD_WANTS}``) run in After=/Before= order, their Condition*s
   checked below ROOT; then the events they caused are settled again, and units wanted by those.

Programs run with VFIO_PASSTHROUGH_ROOT=ROOT and a timeout; one found below ROOT runs from there
(ROOT/usr/libexec/...), otherwise the host's (/bin/sh). Run as root, each runs in a private mount
namespace with ROOT/sys bound over /sys, so that a program that ignores VFIO_PASSTHROUGH_ROOT
touches the simulated /sys, never the host's. A failing program does not stop the boot, as in udev.

Everything is logged to ROOT/run/simhost-boot.log, one JSON object a line (``kind``: ``boot``,
``trigger``, ``event``, ``warning``, ``program``, ``attr``, ``kmod``, ``unit``, ``done``).
"""

import collections
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time

import udevrules

BOOT_LOG = os.path.join('run', 'simhost-boot.log')
EVENTS = os.path.join('.simhost', 'uevents.jsonl')
PROGRAM_TIMEOUT = 30.0
MAX_EVENTS = 20000
UNIT_DIRS = ('etc/systemd/system', 'run/systemd/system', 'usr/lib/systemd/system', 'lib/systemd/system')
HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'


class BootLog(object):
    """The boot log being written: a list of records, appended to the file as they come."""

    def __init__(self, path):
        self.path = path
        self.records = []
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, 'w').close()

    def add(self, kind, **fields):
        """Append one record."""
        rec = dict(kind=kind, **fields)
        self.records.append(rec)
        with open(self.path, 'a') as f:
            f.write(json.dumps(rec, sort_keys=True) + '\n')
        return rec


def host_subsystem(event):
    """The SUBSYSTEM udev gives an event: as sd-device names them, the kernel's ``bus`` kobjects
    (DEVPATH /bus/<name>) are ``subsystem`` and module kobjects ``module``; drivers stay ``drivers``."""
    devpath = event['devpath']
    if devpath.startswith(('/bus/', '/class/')) and devpath.count('/') == 2:
        return 'subsystem'
    if devpath.startswith('/module/'):
        return 'module'
    return event['subsystem']


class Boot(object):
    """One boot of the host below ``root``."""

    def __init__(self, root, timeout=PROGRAM_TIMEOUT, system_rules=(), isolate=None):
        self.root = os.path.abspath(root)
        self.sys = os.path.join(self.root, 'sys')
        self.timeout = timeout
        self.log = BootLog(os.path.join(self.root, BOOT_LOG))
        self.events_path = os.path.join(self.root, EVENTS)
        self.offset = 0
        self.queue = collections.deque()
        self.db = {}  # devpath -> properties and tags rules set in earlier events (udev's database)
        self.wanted = []  # units devices want, in the order they were asked for
        self.handled = 0
        self.system_rules = list(system_rules)
        if isolate is None:
            isolate = os.geteuid() == 0 and shutil.which('unshare') is not None
        self.isolate = isolate
        self.rules = None

    # -- the kernel's event file ------------------------------------------------

    def skip_kernel_events(self):
        """Forget the events sent before udevd listened (the kernel coming up)."""
        seen = self.read_events()
        self.log.add('boot', root=self.root, unseen_kernel_events=len(seen))

    def read_events(self):
        """The events appended to the kernel's event file since the last read."""
        try:
            with open(self.events_path) as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return []
        end = data.rfind('\n') + 1
        self.offset += len(data[:end].encode('utf-8'))
        return [json.loads(line) for line in data[:end].splitlines() if line.strip()]

    def pull(self):
        """Queue what the kernel sent since the last look."""
        self.queue.extend(self.read_events())

    # -- coldplug --------------------------------------------------------------

    def trigger(self, path):
        """Write ``add`` to a uevent file, as udevadm trigger does; log a failure."""
        try:
            with open(path, 'w') as f:
                f.write('add')
        except OSError as exc:
            self.log.add('trigger', path=self.display(path), error=exc.strerror)

    def coldplug(self):
        """systemd-udev-trigger.service: subsystems (buses, then drivers), then devices."""
        buses = sorted(os.listdir(os.path.join(self.sys, 'bus'))) if os.path.isdir(os.path.join(self.sys, 'bus')) else []
        subsystems = [os.path.join(self.sys, 'bus', b, 'uevent') for b in buses]
        drivers = []
        for b in buses:
            d = os.path.join(self.sys, 'bus', b, 'drivers')
            drivers += [os.path.join(d, name, 'uevent') for name in sorted(os.listdir(d))] if os.path.isdir(d) else []
        for path in subsystems + drivers:
            if os.path.exists(path):
                self.trigger(path)
        self.log.add('trigger', type='subsystems', count=len(subsystems) + len(drivers))
        devices = set()
        for pattern in ('bus/*/devices/*', 'class/*/*'):
            for link in glob.glob(os.path.join(self.sys, pattern)):
                real = os.path.realpath(link)
                if real.startswith(self.sys + '/devices/') and os.path.exists(os.path.join(real, 'uevent')):
                    devices.add(real)
        for real in sorted(devices):
            self.trigger(os.path.join(real, 'uevent'))
        self.log.add('trigger', type='devices', count=len(devices))

    # -- events -------------------------------------------------------------------

    def settle(self):
        """Handle queued events, and those they cause, until none is left (udevadm settle)."""
        self.pull()
        while self.queue:
            if self.handled >= MAX_EVENTS:
                self.log.add('warning', text='more than %d events: stopped, the rules loop' % MAX_EVENTS)
                self.queue.clear()
                return
            self.handle(self.queue.popleft())
            self.handled += 1
            self.pull()

    def handle(self, event):
        """Run the rules for one event, then its RUN programs."""
        devpath = event['devpath']
        saved = self.db.get(devpath, {'props': {}, 'tags': set()})
        props = dict(saved['props'])
        props.update(event['env'])
        props['SUBSYSTEM'] = host_subsystem(event)
        ctx = Context(self, devpath, props, event['seqnum'])
        outcome = udevrules.apply(self.rules, ctx)
        tags = saved['tags'] | outcome.tags
        wants = []
        if 'systemd' in tags and event['action'] in ('add', 'change'):
            for unit in props.get('SYSTEMD_WANTS', '').split():
                if unit not in self.wanted:
                    self.wanted.append(unit)
                    wants.append(unit)
        self.log.add('event', seqnum=event['seqnum'], action=event['action'], devpath=devpath,
                     subsystem=props['SUBSYSTEM'], matched=outcome.matched, run=outcome.run,
                     tags=sorted(tags), wants=wants)
        for module in outcome.kmod:
            present = os.path.isdir(os.path.join(self.sys, 'module', module))
            self.log.add('kmod', seqnum=event['seqnum'], module=module, loaded=present,
                         note='present' if present else 'not modelled: the simulated kernel loads no modules')
        if event['action'] == 'remove':
            self.db.pop(devpath, None)
        else:
            self.db[devpath] = {'props': {k: v for k, v in props.items() if k not in event['env']}, 'tags': tags}
        env = dict((k, v) for k, v in props.items())
        for cmd in outcome.run:
            self.run(cmd, env, phase='udev', seqnum=event['seqnum'], devpath=devpath)

    # -- programs -----------------------------------------------------------------

    def display(self, path):
        """A path below the root as the host sees it."""
        return '/' + os.path.relpath(path, self.root) if path.startswith(self.root + '/') else path

    def resolve(self, program, udev=False):
        """The file to execute for a program path: below ROOT if it is there, else the host's."""
        if '/' not in program:
            dirs = ('usr/lib/udev', 'lib/udev') if udev else ()
            for d in dirs:
                candidate = os.path.join(self.root, d, program)
                if os.path.exists(candidate):
                    return candidate
            return shutil.which(program, path=HOST_PATH) or program
        mine = os.path.join(self.root, program.lstrip('/'))
        return mine if os.path.exists(mine) else program

    def run(self, cmd, env, phase, udev=True, **where):
        """Run a command line; log its exit status and stderr; return (status, stdout)."""
        try:
            argv = shlex.split(cmd)
        except ValueError as exc:
            self.log.add('program', phase=phase, cmd=cmd, rc=None, error='cannot split: %s' % exc, **where)
            return 1, ''
        if not argv:
            return 1, ''
        exe = self.resolve(argv[0], udev=udev)
        full = dict(env)
        full.update(VFIO_PASSTHROUGH_ROOT=self.root, PATH=HOST_PATH)
        real = [exe] + argv[1:]
        if self.isolate:
            real = ['unshare', '-m', '--propagation', 'private', '/bin/sh', '-c',
                    'mount --bind "$0" /sys && exec "$@"', self.sys] + real
        start = time.time()
        try:
            proc = subprocess.Popen(real, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=full, start_new_session=True, universal_newlines=True, cwd=self.root)
        except OSError as exc:
            self.log.add('program', phase=phase, cmd=cmd, exe=self.display(exe), rc=None, error=exc.strerror, **where)
            return 1, ''
        timed_out = False
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            out, err = proc.communicate()
        rc = proc.returncode
        self.log.add('program', phase=phase, cmd=cmd, exe=self.display(exe), rc=rc, timed_out=timed_out,
                     stderr=err[-4000:], stdout=out[-2000:], seconds=round(time.time() - start, 3), **where)
        return (rc if not timed_out else -1), out

    # -- systemd ---------------------------------------------------------------------

    def enabled_units(self):
        """The services enabled in ROOT: links in the .wants/ directories of every unit directory."""
        names = []
        for d in UNIT_DIRS:
            for link in sorted(glob.glob(os.path.join(self.root, d, '*.wants', '*'))):
                name = os.path.basename(link)
                if name not in names:
                    names.append(name)
        return names

    def find_unit(self, name):
        """(path of the unit file, instance) of a unit name, or (None, instance)."""
        instance = None
        template = name
        m = re.match(r'^([^@]+)@([^.]*)(\.[a-z]+)$', name)
        if m:
            instance = m.group(2)
            template = '%s@%s' % (m.group(1), m.group(3))
        for d in UNIT_DIRS:
            for candidate in (name, template):
                path = os.path.join(self.root, d, candidate)
                if os.path.isfile(path):
                    return path, instance
        return None, instance

    def start_units(self, names, done):
        """Start the units ``names`` (and the ones they want below ROOT) in After=/Before= order."""
        units = collections.OrderedDict()
        todo = list(names)
        while todo:
            name = todo.pop(0)
            if name in units or name in done:
                continue
            path, instance = self.find_unit(name)
            if path is None:
                self.log.add('unit', unit=name, result='not found below the root: ignored (a system unit)')
                done.add(name)
                continue
            unit = Unit(name, path, instance)
            units[name] = unit
            for dep in unit.get('Unit', 'Wants') + unit.get('Unit', 'Requires'):
                if self.find_unit(dep)[0] is not None:
                    todo.append(dep)
        for unit in order(units, self.log):
            done.add(unit.name)
            self.start(unit)

    def start(self, unit):
        """Check a unit's conditions and run its commands."""
        if not unit.name.endswith('.service'):
            self.log.add('unit', unit=unit.name, result='skipped: only services are run')
            return
        ok, why = self.conditions(unit)
        if not ok:
            self.log.add('unit', unit=unit.name, result='condition failed: %s' % why)
            return
        for warning in unit.warnings:
            self.log.add('warning', text='%s: %s' % (unit.name, warning))
        env = unit.environment()
        self.log.add('unit', unit=unit.name, result='started')
        for key in ('ExecStartPre', 'ExecStart', 'ExecStartPost'):
            for line in unit.get('Service', key):
                ignore = False
                while line[:1] in '-@:+!|' and line:
                    ignore = ignore or line[0] == '-'
                    line = line[1:]
                cmd, problem = unit.specifiers(line)
                if problem:
                    self.log.add('warning', text='%s: %s' % (unit.name, problem))
                rc, _out = self.run(cmd, env, phase='unit', udev=False, unit=unit.name)
                if rc != 0 and not ignore:
                    self.log.add('unit', unit=unit.name, result='failed', rc=rc)
                    return

    def conditions(self, unit):
        """Whether the unit's Condition*s hold below ROOT: (ok, the failing one)."""
        checks = {
            'ConditionPathExists': os.path.exists,
            'ConditionPathExistsGlob': lambda p: bool(glob.glob(p)),
            'ConditionPathIsDirectory': os.path.isdir,
            'ConditionPathIsSymbolicLink': os.path.islink,
            'ConditionDirectoryNotEmpty': lambda p: os.path.isdir(p) and bool(os.listdir(p)),
            'ConditionFileNotEmpty': lambda p: os.path.isfile(p) and os.path.getsize(p) > 0,
            'ConditionFileIsExecutable': lambda p: os.path.isfile(p) and os.access(p, os.X_OK),
        }
        plain, triggering = [], []
        for key, value in unit.items('Unit'):
            if not key.startswith('Condition'):
                continue
            if key not in checks:
                self.log.add('warning', text='%s: %s not modelled, taken as met' % (unit.name, key))
                continue
            trig = value.startswith('|')
            text = value.lstrip('|')
            negate = text.startswith('!')
            text = text.lstrip('!')
            cmd, _problem = unit.specifiers(text)
            result = checks[key](os.path.join(self.root, cmd.lstrip('/'))) != negate
            (triggering if trig else plain).append((result, '%s=%s' % (key, value)))
        for result, what in plain:
            if not result:
                return False, what
        if triggering and not any(r for r, _w in triggering):
            return False, ', '.join(w for _r, w in triggering)
        return True, None

    # -- the whole boot ---------------------------------------------------------------

    def boot(self):
        """Coldplug, settle, run the units, settle again; return the log's records."""
        self.skip_kernel_events()
        files = udevrules.rule_files(self.root, extra=self.system_rules)
        self.rules = udevrules.load(files)
        self.log.add('boot', rule_files=[self.display(p) for _n, p in files])
        for warning in self.rules.warnings:
            self.log.add('warning', text=warning)
        self.coldplug()
        self.settle()
        done = set()
        units = self.enabled_units()
        for _round in range(10):
            pending = [u for u in units + self.wanted if u not in done]
            if not pending:
                break
            self.start_units(pending, done)
            self.settle()
        records = self.log.records
        self.log.add('done', events=self.handled,
                     programs=sum(1 for r in records if r['kind'] == 'program'),
                     failed=sum(1 for r in records if r['kind'] == 'program' and r.get('rc') != 0),
                     warnings=sum(1 for r in records if r['kind'] == 'warning'))
        return self.log.records


class Context(object):
    """The udevrules.EventContext of one event on the simulated host."""

    def __init__(self, boot, devpath, props, seqnum):
        self.boot = boot
        self.props = props
        self.seqnum = seqnum
        self.syspath = os.path.join(boot.sys, devpath.lstrip('/'))

    def attr(self, name):
        """An attribute's text (trailing white space removed), None if it cannot be read."""
        try:
            with open(os.path.join(self.syspath, name)) as f:
                return f.read().rstrip()
        except OSError:
            return None

    def test(self, path):
        """TEST: an absolute path is the host's (below ROOT), another one the device's."""
        if path.startswith('/'):
            return os.path.exists(os.path.join(self.boot.root, path.lstrip('/')))
        return os.path.exists(os.path.join(self.syspath, path))

    def program(self, cmd):
        """PROGRAM and IMPORT{program}: run now, with the event's properties."""
        return self.boot.run(cmd, self.props, phase='udev', seqnum=self.seqnum, devpath=self.props.get('DEVPATH'))

    def write_attr(self, name, value):
        """ATTR{name}=value: one write, logged."""
        path = os.path.join(self.syspath, name)
        real = os.path.realpath(path)
        if not real.startswith(self.boot.sys + '/'):
            self.warn('ATTR{%s} is outside /sys: not written' % name)
            return
        error = None
        try:
            with open(path, 'w') as f:
                f.write(value)
        except OSError as exc:
            error = exc.strerror
        self.boot.log.add('attr', seqnum=self.seqnum, path=self.boot.display(real), value=value, error=error)

    def driver(self):
        """The device's driver (its ``driver`` link)."""
        try:
            return os.path.basename(os.readlink(os.path.join(self.syspath, 'driver')))
        except OSError:
            return None

    def warn(self, text):
        """A warning in the boot log."""
        self.boot.log.add('warning', text=text, seqnum=self.seqnum)


class Unit(object):
    """A systemd unit file: sections of (key, value) in order, and an instance name."""

    def __init__(self, name, path, instance=None):
        self.name = name
        self.path = path
        self.instance = instance
        self.sections = collections.defaultdict(list)
        self.warnings = []
        section = None
        with open(path) as f:
            text = f.read().replace('\\\n', ' ')
        for line in text.splitlines():
            line = line.strip()
            if not line or line[0] in '#;':
                continue
            if line.startswith('[') and line.endswith(']'):
                section = line[1:-1]
                continue
            key, eq, value = line.partition('=')
            if eq and section:
                self.sections[section].append((key.strip(), value.strip()))

    def items(self, section):
        """The (key, value) pairs of a section, in order."""
        return self.sections.get(section, [])

    def get(self, section, key):
        """Every value of ``key`` (space-separated lists joined for the dependency keys)."""
        values = [v for k, v in self.items(section) if k == key]
        if key in ('After', 'Before', 'Wants', 'Requires'):
            return [x for v in values for x in v.split()]
        return values

    def environment(self):
        """Environment= assignments."""
        env = {}
        for value in self.get('Service', 'Environment'):
            for item in shlex.split(value):
                k, eq, v = item.partition('=')
                if eq:
                    env[k] = v
        return env

    def specifiers(self, text):
        """Expand %i, %I, %n, %N, %p, %%; (text, a problem with any other specifier or None)."""
        inst = self.instance or ''
        prefix = self.name.split('@')[0] if '@' in self.name else self.name.rsplit('.', 1)[0]
        values = {'i': inst, 'I': unescape(inst), 'n': self.name, 'N': self.name.rsplit('.', 1)[0], 'p': prefix,
                  '%': '%'}
        problems = []

        def one(m):
            if m.group(1) in values:
                return values[m.group(1)]
            problems.append('specifier %%%s not modelled' % m.group(1))
            return m.group(0)
        out = re.sub(r'%(.)', one, text)
        return out, '; '.join(problems) or None


def unescape(text):
    """systemd-escape --unescape: ``\\xNN`` to its character, ``-`` to ``/``."""
    return re.sub(r'\\x([0-9a-fA-F]{2})', lambda m: chr(int(m.group(1), 16)), text.replace('-', '/'))


def order(units, log):
    """The units in an order that respects After= and Before= among them (ties by name)."""
    after = dict((name, set()) for name in units)
    for name, unit in units.items():
        for dep in unit.get('Unit', 'After'):
            if dep in units:
                after[name].add(dep)
        for dep in unit.get('Unit', 'Before'):
            if dep in units:
                after[dep].add(name)
    out = []
    left = dict(after)
    while left:
        ready = sorted(n for n, deps in left.items() if not deps & set(left))
        if not ready:
            log.add('warning', text='ordering cycle among %s: started by name' % ', '.join(sorted(left)))
            ready = sorted(left)
        name = ready[0]
        out.append(units[name])
        del left[name]
    return out


def boot(root, timeout=PROGRAM_TIMEOUT):
    """Boot the host below ``root`` (its kernel just started); return the log records."""
    return Boot(root, timeout=timeout).boot()
