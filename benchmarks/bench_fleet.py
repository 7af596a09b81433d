"""One play against 50 inventory hosts on this machine, each with its own simulated IBM Z host.

Every host gets the two roles (vfio_ccw: two DASDs' subchannels to vfio_ccw with a running vfio_ccw
mdev each; vfio_ap: AP masks, one vfio-ap matrix device, validation) - an AWX job template's work.
Timed, as whole ansible-playbook runs: the first run on fresh hosts, then the no-change re-run,
with the default forks (5) and with forks=1 (once: it takes minutes). If anything serialised the
hosts (a lock shared between them, a per-run bottleneck), the default forks would be no faster than
forks=1.
"""

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

import harness

HOSTS = 50
BEFORE_PER_HOST = 1.45  # s per host of the no-change re-run with forks 5 before the roles ran one module each


def write_files(tmp, roots):
    """Inventory (hostN with its root) and the play."""
    inventory = os.path.join(tmp, 'fleet.ini')
    with open(inventory, 'w') as f:
        f.write('[fleet]\n')
        for i, root in enumerate(roots):
            f.write('host%02d sim_root=%s\n' % (i, root))
        f.write('\n[fleet:vars]\nansible_connection=local\nansible_python_interpreter=%s\n' % harness.PYTHON)
    play = os.path.join(tmp, 'fleet.yml')
    with open(play, 'w') as f:
        f.write('''- name: Fleet
  hosts: fleet
  gather_facts: false
  environment:
    VFIO_PASSTHROUGH_ROOT: "{{ sim_root }}"
  roles:
    - role: vfio.passthrough.vfio_ccw
      vars:
        vfio_ccw_devices: [0.0.2b09, 0.0.2b0a]
    - role: vfio.passthrough.vfio_ap
      vars:
        vfio_ap_devices:
          - {uuid: 4b1ab9b1-8b83-4a1d-9f7c-0d57e5c1e2a1, adapters: [5], domains: [4, 0x42]}
''')
    return inventory, play


def changed_tasks(output):
    """``task: hosts`` for every task of a playbook run that reported a change."""
    task, found = None, {}
    for line in output.splitlines():
        if line.startswith('TASK ['):
            task = line[6:].split(']')[0]
        elif line.startswith('changed: [') and task:
            found.setdefault(task, []).append(line[10:].split(']')[0])
    return ['%s: %s' % (t, ', '.join(h)) for t, h in found.items()]


def run(results, tmp, repeat=2):
    """First run (default forks), no-change re-runs with default forks and with forks=1."""
    hosts = [harness.SimHost(os.path.join(tmp, 'fleet', 'h%02d' % i), scenario='seed') for i in range(HOSTS)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda h: h.start(), hosts))
    try:
        inventory, play = write_files(tmp, [h.root for h in hosts])
        argv = [os.path.join(harness.BIN, 'ansible-playbook'), '-i', inventory, play]
        env = harness.ansible_env()  # each host's root comes from the inventory
        first = harness.wall(argv, env)
        writes = [h.writes() for h in hosts]
        if len(set(writes)) != 1 or not writes[0]:
            raise SystemExit('the hosts did not all get the same writes: %s' % sorted(set(writes)))
        output = harness.run_output(argv, env)
        if harness.changed_count(output):
            raise SystemExit('the fleet re-run reported changes: %s' % '; '.join(changed_tasks(output)))
        processes = module_processes(argv + ['--limit', 'host00'], env, tmp)
        default = [harness.wall(argv, env) for _run in range(repeat)]
        serial = [harness.wall(argv + ['--forks', '1'], env)]
        if [h.writes() for h in hosts] != writes:
            raise SystemExit('a no-change re-run wrote to a host')
    finally:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda h: h.stop(), hosts))
    results.figure('6a. first run, %d hosts, default forks (5)' % HOSTS, 'ansible-playbook, 2 roles',
                   harness.stats([first]), note='%.2f s per host; %d sysfs writes on each host' % (
                       first / HOSTS, writes[0]))
    results.pair('6b. no-change re-run, %d hosts: default forks (5) against forks=1' % HOSTS,
                 ('forks 5', harness.stats(default)), ('forks 1', harness.stats(serial)),
                 note='%.2f s per host with forks 5; a ratio near 1 would mean the hosts were serialised '
                      '(this machine has %d cores)' % (min(default) / HOSTS, os.cpu_count()))
    results.figure('6c. module processes of one host\'s no-change re-run (both roles)', 'AnsiballZ payloads run',
                   {'median': float(len(processes)), 'spread': 0.0, 'runs': 1}, target='<= 3',
                   note=', '.join(processes))
    results.target('roles: a no-change re-run of vfio_ap and vfio_ccw on one host runs at most 3 module processes',
                   '%d (%s)' % (len(processes), ', '.join(processes)), 3, len(processes))
    per_host = harness.stats(default)['median'] / HOSTS
    results.target('roles: per-host time of the 50-host no-change re-run (forks 5) <= half of %.2f s'
                   % BEFORE_PER_HOST, '%.2f s' % per_host, BEFORE_PER_HOST / 2, per_host)


def module_processes(argv, env, tmp):
    """The modules a playbook run executes on the hosts it runs on, one per process, in order (from the payloads
    ANSIBLE_KEEP_REMOTE_FILES keeps)."""
    remote = tempfile.mkdtemp(prefix='remote-', dir=tmp)
    harness.run_output(argv, dict(env, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=remote))
    found = [(os.path.getmtime(os.path.join(d, n)), n[len('AnsiballZ_'):-3])
             for d, _dirs, files in os.walk(remote) for n in files
             if n.startswith('AnsiballZ_') and n.endswith('.py')]
    return [name for _t, name in sorted(found)]
