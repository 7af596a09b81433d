"""simhost: a simulated host whose /sys behaves like the kernel's for VFIO work.

    simhost start ROOT --scenario NAME   mount ROOT/sys and ROOT/proc (cio_ignore, cio_settle), create ROOT/etc
    simhost stop ROOT                    unmount and stop the server
    simhost log ROOT                     every write so far, one JSON object a line
    simhost scenarios                    list the scenarios

A scenario is a YAML file in ``scenarios/`` (or a path to one).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, 'scenarios')
STATE = '.simhost'


def scenario_path(name):
    """Resolve a scenario name or path to a file."""
    if os.path.sep in name or name.endswith('.yaml'):
        return name
    return os.path.join(SCENARIOS, name + '.yaml')


def load_scenario(name):
    """Parse a scenario file."""
    with open(scenario_path(name)) as f:
        return yaml.safe_load(f)


def state_dir(root):
    """Where the server keeps its pid, log and output."""
    return os.path.join(root, STATE)


# The FUSE server serves /sys and /proc from one mount; both are bind-mounted into place.
MOUNTS = ('sys', 'proc')


def prepare(root, scenario):
    """Create ROOT/etc, the mount points and the files the scenario puts outside /sys and /proc."""
    for d in MOUNTS + ('etc', 'run/lock', STATE, os.path.join(STATE, 'fs')):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for rel, content in (scenario.get('files') or {}).items():
        path = os.path.join(root, rel.lstrip('/'))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(content)


def cmd_serve(args):
    """Run the FUSE server in the foreground (start runs this in the background)."""
    sys.path.insert(0, HERE)
    import kernel
    import fusefs
    scenario = load_scenario(args.scenario)
    k = kernel.load(scenario, os.path.join(state_dir(args.root), 'writes.jsonl'))
    fusefs.serve(k, os.path.join(state_dir(args.root), 'fs'))
    return 0


def is_mounted(path):
    """True if ``path`` is a mount point."""
    return os.path.ismount(path)


def cmd_start(args):
    """Mount the simulated /sys under ROOT and return once it answers."""
    root = os.path.abspath(args.root)
    sys_dir = os.path.join(root, 'sys')
    fs_dir = os.path.join(state_dir(root), 'fs')
    if is_mounted(sys_dir):
        print('simhost: %s is already mounted' % sys_dir, file=sys.stderr)
        return 1
    scenario = load_scenario(args.scenario)
    prepare(root, scenario)
    st = state_dir(root)
    open(os.path.join(st, 'writes.jsonl'), 'w').close()
    out = open(os.path.join(st, 'server.log'), 'w')
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), 'serve', root, '--scenario', args.scenario],
                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(st, 'pid'), 'w') as f:
        f.write('%d\n' % proc.pid)
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        if is_mounted(fs_dir) and os.path.isdir(os.path.join(fs_dir, 'sys', 'bus')):
            for name in MOUNTS:
                subprocess.check_call(['mount', '--bind', os.path.join(fs_dir, name), os.path.join(root, name)])
            print('simhost: %s mounted (scenario %s, pid %d)' % (sys_dir, args.scenario, proc.pid))
            return 0
        time.sleep(0.02)
    proc.kill()
    with open(os.path.join(st, 'server.log')) as f:
        sys.stderr.write(f.read())
    print('simhost: the server did not come up', file=sys.stderr)
    return 1


def cmd_stop(args):
    """Unmount ROOT/sys and wait for the server to end."""
    root = os.path.abspath(args.root)
    pid_file = os.path.join(state_dir(root), 'pid')
    for name in MOUNTS:
        if is_mounted(os.path.join(root, name)):
            if subprocess.call(['umount', os.path.join(root, name)], stderr=subprocess.DEVNULL) != 0:
                subprocess.call(['umount', '-l', os.path.join(root, name)])
    sys_dir = os.path.join(state_dir(root), 'fs')
    if is_mounted(sys_dir):
        tool = shutil.which('fusermount3') or shutil.which('fusermount')
        plain = [tool, '-u', '-q', sys_dir] if tool else ['umount', sys_dir]
        if subprocess.call(plain, stderr=subprocess.DEVNULL) != 0:  # busy: detach it lazily
            subprocess.call(plain[:-1] + ['-z', sys_dir] if tool else ['umount', '-l', sys_dir])
    try:
        with open(pid_file) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return 0
    for attempt in range(500):
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == 0 and _alive(pid):
                time.sleep(0.01)
                continue
        except ChildProcessError:
            if _alive(pid):
                time.sleep(0.01)
                continue
        break
    else:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os.unlink(pid_file)
    return 0


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(') ')[-1][:1] not in ('Z', 'X')
    except OSError:
        return False


def cmd_log(args):
    """Print the write log."""
    path = os.path.join(state_dir(os.path.abspath(args.root)), 'writes.jsonl')
    if os.path.exists(path):
        with open(path) as f:
            sys.stdout.write(f.read())
    return 0


def cmd_scenarios(args):
    """List the scenarios with their descriptions."""
    for name in sorted(os.listdir(SCENARIOS)):
        if name.endswith('.yaml'):
            desc = (load_scenario(name[:-5]).get('description') or '').strip().splitlines()
            print('%-10s %s' % (name[:-5], desc[0] if desc else ''))
    return 0


def main(argv=None):
    """Parse the command line and dispatch."""
    p = argparse.ArgumentParser(prog='simhost', description=__doc__.split('\n', maxsplit=1)[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    for name in ('start', 'serve'):
        s = sub.add_parser(name)
        s.add_argument('root')
        s.add_argument('--scenario', default='seed')
        s.add_argument('--timeout', type=float, default=20)
    for name in ('stop', 'log'):
        sub.add_parser(name).add_argument('root')
    sub.add_parser('scenarios')
    args = p.parse_args(argv)
    return globals()['cmd_' + args.cmd](args)


if __name__ == '__main__':
    sys.exit(main())
