"""A plain-file copy of a simulated host: ordinary directories, files and relative symlinks.

    python benchmarks/plainhost.py SIMROOT PLAINROOT --scenario scale [--set NAME=VALUE ...]

On the simulated host (FUSE, single-threaded Python server, caching off) every path component of
every lookup is a round trip: about 580 us for a six-component path, against about 3.5 us on a real
/sys. That penalises whichever tool makes more lookups, so the read-only benchmarks also run on this
copy, where a lookup costs what it costs on a local file system (close to real sysfs, which is also an
in-memory file system answered by the kernel).

The copy is made from the same scenario, built in-process by the simulator's own kernel model
(``simkernel.load``, what the FUSE server serves) and written out: each directory, each attribute
with the text a read returns (``Kernel.read``, as ``fusefs.read``; write-only attributes are empty
files with their mode) and each link relative, as sysfs makes them and as ``fusefs.readlink`` returns
them. ``ROOT/etc`` (the definitions, the scenario's files) is copied from the running simulated host.
Copying through FUSE instead would take minutes on the large AP host (490,000 nodes).
The benchmarks check each copy: the module and the peer print the same output on both roots.
"""

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIMHOST_DIR = os.path.join(os.path.dirname(HERE), 'tests', 'simhost')


def dump(kernel, root):
    """Write ``kernel.tree`` below ``root``; return (directories, files, links)."""
    from simkernel import Dir, Link
    counts = [0, 0, 0]
    stack = [('', kernel.tree.root)]
    while stack:
        path, node = stack.pop()
        for name, child in node.children.items():
            sim_path = path + '/' + name
            dest = root + sim_path
            if isinstance(child, Dir):
                os.mkdir(dest, child.mode)
                counts[0] += 1
                stack.append((sim_path, child))
            elif isinstance(child, Link):
                os.symlink(os.path.relpath(child.target, path or '/'), dest)
                counts[2] += 1
            else:
                text = ''
                if child.mode & 0o444:
                    try:
                        text = kernel.read(child)
                    except OSError:
                        text = ''
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, child.mode)
                try:
                    os.write(fd, text.encode('utf-8', 'surrogateescape'))
                finally:
                    os.close(fd)
                counts[1] += 1
    return counts


def make(sim_root, plain_root, scenario, sets):
    """Build the copy of the host ``sim_root`` runs (``scenario`` with ``sets``) at ``plain_root``."""
    sys.path.insert(0, SIMHOST_DIR)
    import simhost
    import simkernel
    if os.path.exists(plain_root):
        shutil.rmtree(plain_root)
    os.makedirs(plain_root)
    kernel = simkernel.load(simhost.load_scenario(scenario, sets))
    counts = dump(kernel, plain_root)
    for d in ('sys', 'proc'):
        os.makedirs(os.path.join(plain_root, d), exist_ok=True)
    shutil.copytree(os.path.join(sim_root, 'etc'), os.path.join(plain_root, 'etc'), symlinks=True)
    os.makedirs(os.path.join(plain_root, 'run', 'lock'), exist_ok=True)
    return counts


def copy(sim, plain_root):
    """Make the copy of ``sim`` (a harness.SimHost) in a process of its own (the model is large)."""
    sets = [x for k, v in sorted(sim.params.items()) for x in ('--set', '%s=%s' % (k, v))]
    subprocess.run([sys.executable, os.path.abspath(__file__), sim.root, plain_root, '--scenario', sim.scenario]
                   + sets, check=True, stdout=subprocess.DEVNULL)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    p.add_argument('sim_root')
    p.add_argument('plain_root')
    p.add_argument('--scenario', default='scale')
    p.add_argument('--set', action='append', default=[])
    a = p.parse_args()
    counts = make(a.sim_root, a.plain_root, a.scenario, a.set)
    print('%s: %d directories, %d files, %d links' % (a.plain_root, counts[0], counts[1], counts[2]))


if __name__ == '__main__':
    main()
