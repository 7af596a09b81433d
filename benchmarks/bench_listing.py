"""Listing, side by side with the real tools, on a plain-file copy of the simulated host and on the simulator.

1. 1,000 mdevs (500 running, 500 defined): mdev_info's process vs ``mdevctl list`` + ``mdevctl list -d``;
   1b. the same with ``report: lines``, which returns only the lines the shell task returns
2. the types of 64 parents: mdev_info's process vs ``mdevctl types``
3. overrides of 500 PCI devices: driver_override_info's process vs ``driverctl list-overrides``

Each comparison has three contenders, timed alternately in one process in the host's namespace: the
module's own process (its kept AnsiballZ payload), the peer as an Ansible user runs it (the kept
payload of an ``ansible.builtin.shell`` / ``command`` task running the tool) and the bare tool. Each
runs on a plain-file copy of the host (``plainhost.py``; ordinary files and symlinks, what a lookup
costs on a local file system) and on the simulator itself (FUSE: about 580 us a path, 0c), which
weighs lookups some 170 times more than a real sysfs. The module and the tool must print the same
on both roots.

And the floors the figures stand on (0): a bare Python process; what each part of a module process
costs on a host with nothing to list (AnsiballZ, ansible.module_utils.basic, our imports, cached
against uncached bytecode); the floor of each info module and of a command task; exit_json on a
large result; the cost of one stat(2) on the simulated /sys against the machine's real /sys.
"""

import datetime
import json
import os
import time

import harness

REAL_SYSFS = '/sys/devices/system/cpu/cpu0/topology/core_id'
INFO_MODULES = (('mdev_info', {}), ('driver_override_info', {'bus': ['pci'], 'overrides_only': True}),
                ('mdev_validate', {'fail_on_conflict': True}))
INPROCESS = os.path.join(harness.HERE, 'inprocess.py')


def stat_cost(path, count=2000):
    """Median seconds of one os.stat of ``path``, over ``count`` calls in five rounds."""
    rounds = []
    for _round in range(5):
        start = time.perf_counter()
        for _i in range(count):
            os.stat(path)
        rounds.append((time.perf_counter() - start) / count)
    return harness.stats(rounds)


def inprocess(host, module, args, repeat):
    """The module's main() in-process on ``host``: first run, warm runs and exit_json (``inprocess.py``)."""
    out = harness.run_output([harness.PYTHON, INPROCESS, module, json.dumps(args), str(repeat)], host.env())
    return json.loads(out)


def floor(results, tmp, repeat):
    """What no module process can go below, part by part, on the plain-file copy and on the simulator."""
    empty = harness.empty_hosts(results, tmp)
    sim, plain = empty.sim, empty.plain
    payloads = dict((m, harness.ansible(sim, m, a, tmp)) for m, a in INFO_MODULES)
    task = harness.peer_task(plain, 'echo floor', tmp)
    zipped = harness.payload_zip(payloads['mdev_info'], os.path.join(tmp, 'mdev_info_payload.zip'))
    fqn = 'ansible_collections.vfio.passthrough.plugins.modules.mdev_info'
    head = 'import sys; sys.path.insert(0, %r); import ansible.module_utils.basic' % zipped
    parts = [
        ('python', '0a. a bare Python process', 'python -c pass', [harness.PYTHON, '-c', 'pass'], ''),
        ('basic_pyc', '0b. + ansible.module_utils.basic, installed, bytecode cached',
         'python: import basic (site-packages)', [harness.PYTHON, '-c', 'import ansible.module_utils.basic'],
         'the import alone, no compile'),
        ('basic', '0c. + ansible.module_utils.basic from the module zip', 'python: import basic from the zip',
         [harness.PYTHON, '-c', head], 'compiled from source on every run, as AnsiballZ imports it'),
        ('ours', '0d. + mdev_info and our module_utils from the zip', 'python: import basic, mdev_info',
         [harness.PYTHON, '-c', head + '; import importlib; importlib.import_module(%r)' % fqn], ''),
        ('cached', '0e. mdev_info process from exploded files, bytecode cached',
         'AnsiballZ_mdev_info.py execute', harness.explode(payloads['mdev_info']),
         'the same payload run from files: what the zip\'s compile-on-every-run costs is 0f - 0e'),
    ]
    commands = dict((key, argv) for key, _n, _l, argv, _note in parts)
    commands.update(('module:' + m, harness.module_cmd(p)) for m, p in payloads.items())
    commands['task'] = harness.module_cmd(task)
    for host in (plain, sim):
        t = harness.compare(host, commands, repeat * 2 if host is plain else repeat)
        s = dict((k, harness.stats(v)) for k, v in t.items())
        if host is plain:
            for key, name, label, _argv, note in parts:
                results.floor(name, host.kind, label, s[key], note=note)
        results.floor('0f. floor: mdev_info process, host with no mdevs', host.kind, 'mdev_info process',
                      s['module:mdev_info'], note='Python, the AnsiballZ wrapper, ansible.module_utils.basic, '
                      'our imports, argument parsing, exit_json: the start-up every module run pays')
        results.floor('0g. floor: driver_override_info process, empty host', host.kind,
                      'driver_override_info process', s['module:driver_override_info'])
        results.floor('0h. floor: mdev_validate process, empty host', host.kind, 'mdev_validate process',
                      s['module:mdev_validate'])
        results.floor('0i. floor of the peer as a task: a command task running echo', host.kind,
                      'command module process', s['task'],
                      note='what an ansible.builtin.command/shell task adds to the tool it runs')
    sim_stat = stat_cost(os.path.join(sim.root, 'sys/devices/virtual/mtty/mtty00/mdev_supported_types/mtty-1/name'))
    plain_stat = stat_cost(os.path.join(plain.root, 'sys/devices/virtual/mtty/mtty00/mdev_supported_types/mtty-1/name'))
    real = stat_cost(REAL_SYSFS) if os.path.exists(REAL_SYSFS) else None
    note = 'the real /sys of this machine: %s per stat (%s)' % (
        '%.1f us' % (real['median'] * 1e6) if real else 'n/a', REAL_SYSFS)
    results.floor('0j. one stat(2) of a 6-component path', 'plain files', 'os.stat', plain_stat, note=note)
    results.floor('0j. one stat(2) of a 6-component path', 'simulator', 'os.stat', sim_stat,
                  note='every path component is a FUSE round trip into the Python simulator')


def contenders(results, tmp, host, payload, repeat, task=None, bare=None):
    """Time the module (``ours``), its floor (the same payload on the empty host of the same kind), and the peer
    as a task and bare where given, alternately in one run on ``host``. The plain-file copy's runs are short:
    they are repeated twice as often, for steadier small differences."""
    commands = {'ours': harness.module_cmd(payload), 'floor': harness.module_cmd(payload)}
    if task:
        commands['task'] = harness.module_cmd(task)
    if bare:
        commands['bare'] = bare
    empty = harness.empty_hosts(results, tmp).of(host.kind)
    t = harness.compare(host, commands, repeat * 2 if host.kind == harness.PlainHost.kind else repeat,
                        envs={'floor': {'VFIO_PASSTHROUGH_ROOT': empty.root}})
    return dict((k, harness.stats(v)) for k, v in t.items())


def side_by_side(results, tmp, repeat, name, sim, module, args, bare, task_cmd, shell=False):
    """One comparison on the plain-file copy of ``sim`` and on ``sim``; returns {host kind: row}."""
    payload = harness.ansible(sim, module, args, tmp)
    bare_argvs = bare[1] if isinstance(bare[1][0], list) else [bare[1]]
    rows = {}
    with harness.PlainHost(sim) as plain:
        harness.same_output([plain, sim], harness.module_cmd(payload))
        for argv in bare_argvs:
            harness.same_output([plain, sim], argv)
        task = harness.peer_task(plain, task_cmd, tmp, shell=shell)
        for host in (plain, sim):
            t = contenders(results, tmp, host, payload, repeat, task, bare[1])
            ip = inprocess(host, module, args, repeat)
            note = 'in-process main(): first run %.3f s, warm %.3f s; exit_json %.3f s on a %d kB result' % (
                ip['first'], harness.stats(ip['main'])['median'], harness.stats(ip['exit_json'])['median'],
                ip['result_bytes'] // 1000)
            rows[host.kind] = results.side(
                name, host.kind, ('%s process' % module, t['ours']),
                ('%s task: %s' % ('shell' if shell else 'command', task_cmd), t['task']),
                (bare[0], t['bare']), floor=t['floor']['median'], note=note)
            rows[host.kind]['inprocess'] = ip
    return rows


def listing(results, tmp, repeat):
    """Comparisons 1 and 2 (64 parents x 4 types; 500 running and 500 defined mdevs)."""
    sim = harness.SimHost(os.path.join(tmp, 'list'), parents=64, types=4, active=500, defined=500, pci=0,
                          overrides=0, adapters=1, domains=1)
    with sim:
        rows = side_by_side(results, tmp, repeat, '1. list 1,000 mdevs (500 running + 500 defined, 64 parents)', sim,
                            'mdev_info', {}, ('mdevctl list + mdevctl list -d',
                                              [['mdevctl', 'list'], ['mdevctl', 'list', '-d']]),
                            'mdevctl list && mdevctl list -d', shell=True)
        # like for like: only the lines the shell task returns, no devices, no types read
        lean = side_by_side(results, tmp, repeat, '1b. the same, report=lines (what the shell task returns)', sim,
                            'mdev_info', {'report': ['lines']}, ('mdevctl list + mdevctl list -d',
                                                                 [['mdevctl', 'list'], ['mdevctl', 'list', '-d']]),
                            'mdevctl list && mdevctl list -d', shell=True)
    for kind, r in sorted(rows.items()):
        results.floor('0k. exit_json on the 1,000-mdev result (in-process)', kind, 'AnsibleModule.exit_json',
                      harness.stats(r['inprocess']['exit_json']),
                      note='%d kB of JSON: no_log scrubbing, encoding, the write' % (r['inprocess']['result_bytes'] // 1000))
    for row, how in ((rows['plain files'], ''), (lean['plain files'], ', report=lines')):
        results.target('mdev_info%s, 1,000 mdevs: module process <= 1.0x the shell task running mdevctl' % how,
                       '%.3f / %.3f s = %.2f' % (row['ours'][1]['median'], row['task'][1]['median'], row['vs_task']),
                       1.0, row['vs_task'])
        results.target('mdev_info%s, 1,000 mdevs: work above the module floor <= 2x mdevctl\'s whole run' % how,
                       '(%.3f - %.3f) / %.3f s = %.2f' % (row['ours'][1]['median'], row['floor'],
                                                          row['bare'][1]['median'], row['above_vs_bare']),
                       2.0, row['above_vs_bare'])
    sim = harness.SimHost(os.path.join(tmp, 'types'), parents=64, types=4, active=0, defined=0, pci=0,
                          overrides=0, adapters=1, domains=1)
    with sim:
        side_by_side(results, tmp, repeat, '2. types of 64 parents (4 types each)', sim, 'mdev_info', {},
                     ('mdevctl types', ['mdevctl', 'types']), 'mdevctl types')


def overrides(results, tmp, repeat):
    """Comparison 3: 500 PCI devices, all overridden to vfio-pci."""
    sim = harness.SimHost(os.path.join(tmp, 'pci'), parents=0, active=0, defined=0, pci=500, overrides=500,
                          adapters=1, domains=1)
    with sim:
        rows = side_by_side(results, tmp, repeat, '3. list overrides of 500 PCI devices', sim, 'driver_override_info',
                            {'bus': ['pci'], 'overrides_only': True},
                            ('driverctl list-overrides', ['driverctl', 'list-overrides']),
                            'driverctl list-overrides')
    row = rows['plain files']
    results.target('driver_override_info, 500 overridden PCI devices: module process <= 1.0x a command task '
                   'running driverctl list-overrides',
                   '%.3f / %.3f s = %.2f' % (row['ours'][1]['median'], row['task'][1]['median'], row['vs_task']),
                   1.0, row['vs_task'])


LAB_FIGURES = os.path.join(harness.REPO, '.kernel-lab', 'realsys.json')  # tests/kernel/realsys.py, in the x86 lab


def real_sysfs(results):
    """The same comparisons on the x86 lab guest's real /sys, from the last ``make test-kernel`` (if there was one
    in this checkout): module process, the peer as a task and bare, alternating in one run under TCG."""
    if not os.path.exists(LAB_FIGURES):
        return
    with open(LAB_FIGURES) as f:
        lab = json.load(f)
    when = datetime.datetime.fromtimestamp(os.path.getmtime(LAB_FIGURES), datetime.timezone.utc)
    host = 'real sysfs'
    note = 'the x86 lab guest (kernel %s, QEMU TCG, %d runs each), %s' % (
        lab['kernel'], lab['repeat'], when.strftime('%Y-%m-%d %H:%M UTC'))
    t = lab['mdev_info']
    results.side('1r. list %d mtty mdevs (half running, half defined)' % lab['mdevs'], host,
                 ('mdev_info process', t['ours']), ('shell task: mdevctl list && mdevctl list -d', t['task']),
                 ('mdevctl list && mdevctl list -d', t['bare']), floor=t['floor']['median'], note=note)
    t = lab['driver_override_info']
    results.side('3r. list the override of the guest\'s spare PCI device', host,
                 ('driver_override_info process', t['ours']), ('command task: driverctl list-overrides', t['task']),
                 ('driverctl list-overrides', t['bare']), floor=t['floor']['median'], note=note)


def run(results, tmp, repeat=7):
    """The floors, the three comparisons, and the lab's figures on a real sysfs."""
    floor(results, tmp, repeat)
    listing(results, tmp, repeat)
    overrides(results, tmp, repeat)
    real_sysfs(results)
