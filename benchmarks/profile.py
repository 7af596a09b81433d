"""Profile one module run on a scale host with pyinstrument (how the hot paths in RESULTS.md were found).

    python benchmarks/profile.py mdev_info
    python benchmarks/profile.py mdev --converge 256          # the converge benchmark's task, twice
    python benchmarks/profile.py mdev_validate --set ap_active=1000

The module runs in-process (its main(), with the arguments Ansible would pass), so the profile
shows the module's own work; Python and Ansible start-up are measured by the benchmarks.
"""

import argparse
import json
import os
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
    p.add_argument('--min', type=float, default=0.01, help='hide frames under this many seconds')
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
            os.environ['VFIO_PASSTHROUGH_ROOT'] = host.root
            for label in ('first run', 'second run') if a.converge else ('run',):
                profiler = Profiler()
                profiler.start()
                result = run_module(a.module, args)
                profiler.stop()
                print('== %s: changed=%s %s' % (label, result.get('changed'), result.get('msg', '')))
                print(profiler.output_text(unicode=False, color=False, show_all=False,
                                           time='seconds', processor_options={'filter_threshold': a.min}))


if __name__ == '__main__':
    main()
