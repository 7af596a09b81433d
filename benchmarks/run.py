"""Run every benchmark and write benchmarks/RESULTS.md (make bench).

    python benchmarks/run.py [--only listing,converge,validate,fleet] [--quick] [--no-write] [--out FILE]

--quick repeats fewer times (to try the harness); RESULTS.md is written only from full runs (--out FILE
writes any run's report elsewhere).
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, 'RESULTS.md')
BENCHES = ('listing', 'converge', 'validate', 'fleet')


def tool_version(argv):
    """The first line a tool prints for its version, or 'unknown'."""
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                             check=False).stdout
    except OSError:
        return 'unknown'
    return (out.strip().splitlines() or ['unknown'])[0]


def machine():
    """What the figures were measured on."""
    model = 'unknown CPU'
    try:
        with open('/proc/cpuinfo') as f:
            model = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    import ansible
    return ['%d cores (%s), %s' % (os.cpu_count(), model, platform.platform()),
            'Python %s, ansible-core %s' % (platform.python_version(), ansible.__version__),
            'mdevctl %s, driverctl %s (Debian packages)' % (
                tool_version(['mdevctl', '--version']).split()[-1],
                tool_version(['dpkg-query', '-W', '-f', '${Version}', 'driverctl']))]


def cell(s):
    """``median (spread)`` in seconds, or in microseconds below a millisecond."""
    if s['median'] < 1e-3:
        return '%.1f us (%.1f us)' % (s['median'] * 1e6, s['spread'] * 1e6)
    return '%.3f (%.3f)' % (s['median'], s['spread'])


def table(rows):
    """The figures with at most one peer (writing benchmarks, the conflict search, the fleet) as a table."""
    out = ['| benchmark | ours: median (spread) s | theirs: median (spread) s | ratio | target | load |',
           '| --- | --- | --- | --- | --- | --- |']
    for r in rows:
        ours = '%s: %s' % (r['ours'][0], cell(r['ours'][1]))
        theirs = '%s: %s' % (r['theirs'][0], cell(r['theirs'][1])) if r['theirs'] else '-'
        ratio = '%.2f' % r['ratio'] if r['ratio'] is not None else '-'
        target = ('<= %s' % r['target'] if isinstance(r['target'], (int, float)) else r['target']) or '-'
        out.append('| %s | %s | %s | %s | %s | %.1f |' % (r['name'], ours, theirs, ratio, target, r['load']))
    return out


def side_table(rows):
    """The read-only comparisons on one kind of host: module, peer as a task, bare peer, floor."""
    out = ['| benchmark | ours: median (spread) s | peer as an Ansible task | bare peer | ours / task | ours / bare '
           '| ours - floor s (floor) | (ours - floor) / bare | load |',
           '| --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    for r in rows:
        def opt(v, f='%.2f'):
            return f % v if v is not None else '-'
        out.append('| %s | %s: %s | %s | %s | %s | %s | %s | %s | %.1f |' % (
            r['name'], r['ours'][0], cell(r['ours'][1]),
            '%s: %s' % (r['task'][0], cell(r['task'][1])) if r['task'] else '-',
            '%s: %s' % (r['bare'][0], cell(r['bare'][1])) if r['bare'] else '-',
            opt(r['vs_task']), opt(r['vs_bare']),
            '%.3f (%.3f)' % (r['above'], r['floor']) if r['above'] is not None else '-',
            opt(r['above_vs_bare']), r['load']))
    out.append('')
    out.extend('- %s: %s' % (r['name'].split(' ', 1)[0].rstrip('.'), r['note']) for r in rows if r['note'])
    return out


def floor_table(rows):
    """The floors, part by part."""
    out = ['| floor | host | what | median (spread) s | load | note |', '| --- | --- | --- | --- | --- | --- |']
    for r in rows:
        out.append('| %s | %s | %s | %s | %.1f | %s |'
                   % (r['name'], r['host'], r['label'], cell(r['s']), r['load'], r['note'] or ''))
    return out


def target_table(rows):
    """Each target of the issue, met or not, with its figure (plain-file copy)."""
    out = ['| target | figure (plain-file copy, one run) | limit | |', '| --- | --- | --- | --- |']
    for r in rows:
        out.append('| %s | %s | %s | %s |' % (r['what'], r['figure'], r['limit'], 'met' if r['met'] else '**not met**'))
    return out


WHY = ('The read-only benchmarks run on a plain-file copy of each simulated host (`plainhost.py`: the same '
       'tree as ordinary directories, files and relative symlinks) and on the simulator itself, side by side in '
       'this run. The plain-file figures come first because they are the ones to believe: on the simulator every '
       'path component of every lookup is a FUSE round trip into a single-threaded Python server (0j), some 50 to '
       '170 times what a lookup costs on a real /sys, so there the tool that makes more lookups (mdevctl) loses '
       'by far more than it would on a real host. A real sysfs, like the copy, answers lookups from memory in '
       'the kernel; 0j gives both against this machine\'s real /sys. Writing benchmarks (4, 6) need the '
       'simulated kernel and stay on the simulator.')


def write(results, command, started, load_start, path=RESULTS):
    """Replace the generated part of RESULTS.md, keeping the hand-written analysis after the marker."""
    marker = '<!-- analysis: written by hand, kept by run.py -->'
    analysis = ''
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        if marker in text:
            analysis = text[text.index(marker):]
    plain = [r for r in results.sides if r['host'] == 'plain files']
    real = [r for r in results.sides if r['host'] == 'real sysfs']
    sim = [r for r in results.sides if r['host'] not in ('plain files', 'real sysfs')]
    lines = ['# Benchmark results', '',
             'Generated by `%s` on %s (%.0f s). Medians and spreads (max - min) in seconds, after a warm-up; '
             'every ratio is between figures measured alternately in the same run on the same host. '
             '"load" is the 1-minute load average when the figure was taken (load average %.1f at the start, '
             '%.1f at the end; other test suites may share the machine).' % (
                 command, started.strftime('%Y-%m-%d %H:%M UTC'),
                 (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), load_start,
                 os.getloadavg()[0]),
             '', 'Machine: ' + '; '.join(machine()), '', WHY, '',
             'Each read-only comparison has three contenders: the module\'s own process (its kept AnsiballZ payload), '
             'the peer as an Ansible user runs it (the kept payload of an `ansible.builtin.shell` or `command` task '
             'running the tool, measured the same way) and the bare tool. "floor" is the same module\'s process on '
             'an empty host of the same kind (0f-0h); "ours - floor" is the work the module does for this host.', '']
    if results.failures:
        lines += ['## Failed', ''] + ['- %s: %s' % (n, ' '.join(m.split())[:800])
                                      for n, m in results.failures] + ['']
    if results.targets:
        lines += ['## Targets', ''] + target_table(results.targets) + ['']
    if plain:
        lines += ['## Read-only benchmarks on the plain-file copy', ''] + side_table(plain) + ['']
    if real:
        lines += ['## On a real sysfs: the x86 lab\'s guest (QEMU TCG slows every contender alike; read the ratios)',
                  ''] + side_table(real) + ['']
    if sim:
        lines += ['## The same on the simulated host (FUSE)', ''] + side_table(sim) + ['']
    if results.floors:
        lines += ['## Floors', ''] + floor_table(results.floors) + ['']
    if results.rows:
        lines += ['## Writing benchmarks, the conflict search and the fleet (simulated hosts)', ''] + table(
            results.rows) + ['']
        for r in results.rows:
            if r['note']:
                lines.append('- %s: %s' % (r['name'].split(' ', 1)[0].rstrip('.'), r['note']))
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n\n' + (analysis or marker + '\n'))


def main():
    """Run the chosen benchmarks in a scratch directory."""
    p = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    p.add_argument('--only', default=','.join(BENCHES))
    p.add_argument('--quick', action='store_true')
    p.add_argument('--no-write', action='store_true')
    p.add_argument('--out', metavar='FILE', help='write the results to FILE, whatever was run (to try the report)')
    args = p.parse_args()
    chosen = [b for b in args.only.split(',') if b]
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        sys.exit('unknown benchmark(s): %s' % ', '.join(sorted(unknown)))
    if os.geteuid() != 0:
        sys.exit('the benchmarks mount simulated hosts and a private namespace: run them as root')
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()[0]
    results = harness.Results()
    repeat = 2 if args.quick else None
    with tempfile.TemporaryDirectory(prefix='vfio-bench-') as tmp:
        try:
            for name in chosen:
                module = __import__('bench_' + name)
                try:
                    module.run(results, tmp, **({'repeat': repeat} if repeat else {}))
                except SystemExit as exc:  # one group failing keeps the others' figures
                    print('FAILED: %s: %s' % (name, exc), file=sys.stderr)
                    results.failures.append((name, str(exc)))
        finally:
            if results.empty:
                results.empty.stop()
    full = not args.quick and not args.no_write and chosen == list(BENCHES)
    if results.failures:
        out = RESULTS if full else args.out or os.path.join(tempfile.gettempdir(), 'vfio-bench-partial.md')
        write(results, 'make bench' if full else ' '.join(['benchmarks/run.py'] + sys.argv[1:]), started, load_start,
              out)
        sys.exit('%d benchmark group(s) failed (%s); the figures measured, and the failures, are in %s' % (
            len(results.failures), ', '.join(n for n, _m in results.failures), out))
    if not args.quick and not args.no_write and chosen == list(BENCHES):
        write(results, 'make bench', started, load_start)
        print('written: %s' % os.path.relpath(RESULTS))
    elif args.out:
        write(results, ' '.join(['benchmarks/run.py'] + sys.argv[1:]), started, load_start, args.out)
        print('written: %s' % args.out)


if __name__ == '__main__':
    main()
