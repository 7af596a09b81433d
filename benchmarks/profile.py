"""Profile one module run on a scale host with pyinstrument (how the hot paths in RESULTS.md were found).

    python benchmarks/profile.py mdev_info
    python benchmarks/profile.py mdev --converge 256          # the converge benchmark's task, twice
    python benchmarks/profile.py mdev_validate --set ap_active=1000
    python benchmarks/profile.py mdev_info --plain --set parents=64 --set active=500 --set defined=500

--process profiles the module's whole process instead (its kept AnsiballZ payload under
``python -m pyinstrument``): Python start-up aside, the imports from the zip, argument parsing, the
work and exit_json, as the benchmarks time it.

--plain runs the module on a plain-file copy of the host (``plainhost.py``: ordinary files and symlinks,
lookups at local file system cost) instead of the simulator, where every lookup is a FUSE round trip
and the profile is mostly waiting on it.

The module runs in-process (its main(), with the arguments Ansible would pass), so the profile
shows the module's own work; Python and Ansible start-up are measured by the benchmarks.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tests'))

import harness  # noqa: E402  (after the path set-up)


def main():
    """Start a scale host, run the module under the profiler, print the call tree."""
    p = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    p.add_argument('module')
    p.add_argument('--args', default='{}', help='module arguments as JSON')
    p.add_argument('--converge', type=int, metavar='N', help='the converge benchmark task with N devices')
    p.add_argument('--set', action='append', default=[], metavar='NAME=VALUE', help='scale scenario parameter')
    p.add_argument('--plain', action='store_true', help='run on a plain-file copy of the simulated host')
    p.add_argument('--repeat', type=int, default=1, help='profile the N-th run in the process (warm caches)')
    p.add_argument('--process', action='store_true', help='profile the whole module process (its AnsiballZ payload)')
    p.add_argument('--runs', type=int, default=1, help='profile N runs together (figures are their sum)')
    p.add_argument('--interval', type=float, default=0.001, help='sampling interval, seconds')
    p.add_argument('--min', type=float, default=0.01, help='hide frames under this fraction of the total time')
    a = p.parse_args()
    from pyinstrument import Profiler
    from support.inprocess import run_module
    args = json.loads(a.args)
    if a.converge:
        import bench_converge
        bench_converge.COUNT = a.converge
        args = dict(parent='matrix', type='vfio_ap-passthrough', autostart='auto', state='started',
                    devices=bench_converge.devices())
    params = dict(parents=0, active=0, defined=0, pci=0, overrides=0)
    params.update(item.split('=', 1) for item in a.set)
    with tempfile.TemporaryDirectory(prefix='vfio-profile-') as tmp:
        host = harness.SimHost(os.path.join(tmp, 'host'), **params)
        with host:
            target = host
            if a.plain:
                if a.converge:
                    p.error('--plain is for read-only runs: converging writes to the simulated kernel')
                target = harness.PlainHost(host).start()
            os.environ['VFIO_PASSTHROUGH_ROOT'] = target.root
            if a.process:
                payload = harness.ansible(host, a.module, args, tmp)
                report = os.path.join(tmp, 'profile.txt')
                for run in range(a.runs):
                    subprocess.run([harness.PYTHON, '-m', 'pyinstrument', '-r', 'text', '-o', report, '--show-all',
                                    '--no-unicode', '--no-color', '--interval', str(a.interval),
                                    '-p', 'processor_options.filter_threshold=%s' % a.min, payload],
                                   env=target.env(), check=False, stdout=subprocess.DEVNULL)
                    with open(report) as f:
                        print('== process run %d\n%s' % (run + 1, f.read()))
                return
            for _warm in range(a.repeat - 1):
                run_module(a.module, args)
            for label in ('first run', 'second run') if a.converge else ('run',):
                profiler = Profiler(interval=a.interval)
                profiler.start()
                for _run in range(1 if a.converge else a.runs):
                    result = run_module(a.module, args)
                profiler.stop()
                print('== %s: changed=%s %s' % (label, result.get('changed'), result.get('msg', '')))
                print(profiler.output_text(unicode=False, color=False, show_all=True,
                                           time='seconds', processor_options={'filter_threshold': a.min}))


if __name__ == '__main__':
    main()
