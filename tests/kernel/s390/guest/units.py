"""units.py OUT_JSON: what systemd would start after udev settled, for a guest that has no systemd.

The guest's /init starts systemd-udevd, replays the coldplug events and waits for udev to settle
(as systemd-udev-trigger.service and systemd-udev-settle.service do). This script then runs the
ExecStart= lines of every unit enabled under /etc/systemd/system/*.wants/ (what the collection
enables: oneshot units ordered after udev settled), in the order of their names, honouring the
Condition*= lines the collection's units use. Each unit's conditions, commands, exit codes and
output go to OUT_JSON; one LAB-BOOT line per unit goes to the console.
"""
import glob
import json
import os
import shlex
import subprocess
import sys
import time

SYSTEMD = '/etc/systemd/system'


def parse(path):
    """{section: [(key, value), ...]} of a unit file (continuation lines joined, comments dropped)."""
    sections, current, pending = {}, None, ''
    with open(path) as f:
        for raw in f:
            line = pending + raw.rstrip('\n')
            pending = ''
            if line.endswith('\\'):
                pending = line[:-1] + ' '
                continue
            line = line.strip()
            if not line or line[0] in '#;':
                continue
            if line.startswith('[') and line.endswith(']'):
                current = sections.setdefault(line[1:-1], [])
            elif '=' in line and current is not None:
                k, v = line.split('=', 1)
                current.append((k.strip(), v.strip()))
    return sections


def condition(key, value):
    """(holds, understood) of one Condition*= line."""
    negate = value.startswith('!')
    arg = value[1:] if negate else value
    if key == 'ConditionPathExists':
        ok = os.path.exists(arg)
    elif key == 'ConditionPathIsDirectory':
        ok = os.path.isdir(arg)
    elif key == 'ConditionDirectoryNotEmpty':
        ok = os.path.isdir(arg) and bool([n for n in os.listdir(arg) if not n.startswith('.')])
    elif key == 'ConditionFileNotEmpty':
        ok = os.path.isfile(arg) and os.path.getsize(arg) > 0
    elif key == 'ConditionPathExistsGlob':
        ok = bool(glob.glob(arg))
    else:
        return True, False
    return ok != negate, True


def main():
    out = sys.argv[1]
    units = []
    for wants in sorted(glob.glob(SYSTEMD + '/*.wants')):
        for name in sorted(os.listdir(wants)):
            link = os.path.join(wants, name)
            path = os.path.realpath(link)
            u = {'unit': name, 'wants': os.path.basename(wants), 'path': path, 'commands': []}
            units.append(u)
            if not os.path.isfile(path):
                u['error'] = 'the link points to nothing: %s' % os.readlink(link)
                continue
            sec = parse(path)
            u['type'] = dict(sec.get('Service', [])).get('Type', 'simple')
            held, unknown = [], []
            for k, v in sec.get('Unit', []):
                if k.startswith('Condition'):
                    ok, understood = condition(k, v)
                    held.append(ok)
                    if not understood:
                        unknown.append('%s=%s' % (k, v))
            u['conditions_unknown'] = unknown
            u['skipped'] = not all(held)
            if u['skipped']:
                continue
            for k, v in sec.get('Service', []):
                if k != 'ExecStart' or not v:
                    continue
                ignore = False
                while v and v[0] in '-@+!:':   # systemd's command prefixes ('-': a failure is ignored)
                    ignore = ignore or v[0] == '-'
                    v = v[1:]
                start = time.time()
                try:
                    p = subprocess.run(shlex.split(v), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       timeout=120, check=False, env={'PATH': '/usr/sbin:/usr/bin:/sbin:/bin'})
                    rc, output = p.returncode, p.stdout.decode(errors='replace')
                except (OSError, subprocess.TimeoutExpired) as e:
                    rc, output = None, str(e)
                u['commands'].append({'cmd': v, 'rc': rc, 'ignore_failure': ignore, 'output': output[-2000:],
                                      'seconds': round(time.time() - start, 2)})
    for u in units:
        print('LAB-BOOT unit %s (%s): %s' % (
            u['unit'], u['wants'], u.get('error') or ('skipped (condition)' if u.get('skipped') else ', '.join(
                '%s -> rc %s' % (c['cmd'], c['rc']) for c in u['commands']) or 'no ExecStart')), flush=True)
    with open(out, 'w') as f:
        json.dump(units, f)


if __name__ == '__main__':
    main()
