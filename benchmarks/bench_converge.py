"""Converging 256 vfio-ap devices from one task, against mdevctl define + start, on fresh hosts.

Each device gets one adapter (its index) and domains 0-3, so no APQN is claimed twice: 256 creates
and 1,280 attribute writes, 256 definitions; the host's masks are persisted as ``ap_masks persistent=true``
would (autostart devices need their queues reserved at boot). Timed:
- the first ``ansible-playbook`` run (everything defined and started) and its no-change re-run;
- ``mdevctl define --jsonfile`` + ``mdevctl start`` for the same 256 devices (512 processes);
- the module's own process of the no-change re-run against a bare ``mdevctl list -d``
  (target: within 1.5x).
"""

import json
import os

import harness

try:
    from ansible_collections.vfio.passthrough.plugins.module_utils._ap.rule import rule_text
    from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import AP_RULE
except ImportError:  # run from a checkout without the venv link
    raise SystemExit('run make venv first: the collection must be importable as ansible_collections.vfio.passthrough')

COUNT = 256
DOMAINS = [0, 1, 2, 3]


def uuid_of(index):
    """The benchmark's uuid of device ``index``."""
    return '%08x-0000-4000-8000-%012x' % (index, 0xc0ffee000 + index)


def devices():
    """The task's device list."""
    return [{'uuid': uuid_of(i), 'matrix': {'adapters': [i], 'domains': DOMAINS}} for i in range(COUNT)]


def reserve_at_boot(host):
    """Persist the scale host's masks (every queue reserved for vfio_ap) as ``ap_masks persistent=true`` and
    ``chzdev --type ap`` do: an autostart vfio-ap device whose queues the host kept at boot is refused."""
    path = os.path.join(host.root, *AP_RULE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(rule_text('0x' + '0' * 64, '0x' + '0' * 64))
    return host


def write_play(tmp):
    """The playbook: one mdev task for all devices."""
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{
        'name': 'Converge %d vfio-ap devices' % COUNT,
        'vfio.passthrough.mdev': {'parent': 'matrix', 'type': 'vfio_ap-passthrough', 'autostart': 'auto',
                                  'state': 'started', 'devices': '{{ bench_devices }}'}}]}]
    path = os.path.join(tmp, 'converge.yml')
    with open(path, 'w') as f:
        json.dump(play, f)  # JSON is YAML
    with open(os.path.join(tmp, 'devices.json'), 'w') as f:
        json.dump({'bench_devices': devices()}, f)
    return path


def playbook(host, play, tmp, extra_env=None):
    """argv and environment of one ansible-playbook run against ``host``."""
    argv = [os.path.join(harness.BIN, 'ansible-playbook'), '-i', os.path.join(harness.REPO, 'tests', 'inventory.ini'),
            play, '-e', '@' + os.path.join(tmp, 'devices.json')]
    return argv, dict(host.env(), **(extra_env or {}))


def mdevctl_jobs(tmp):
    """The 512 mdevctl command lines, with one JSON file per device (mdevctl's own format)."""
    jobs = []
    for i in range(COUNT):
        attrs = [{'assign_adapter': '0x%x' % i}] + [{'assign_domain': '0x%x' % d} for d in DOMAINS]
        path = os.path.join(tmp, 'mdevctl-%d.json' % i)
        with open(path, 'w') as f:
            json.dump({'mdev_type': 'vfio_ap-passthrough', 'start': 'auto', 'attrs': attrs}, f)
        jobs.append(['mdevctl', 'define', '-u', uuid_of(i), '-p', 'matrix', '--jsonfile', path])
        jobs.append(['mdevctl', 'start', '-u', uuid_of(i)])
    return jobs


def run(results, tmp, repeat=3):
    """Converge, re-run, and the same devices through mdevctl; warm-up round discarded."""
    play = write_play(tmp)
    host = harness.SimHost(os.path.join(tmp, 'converge'), parents=0, active=0, defined=0, pci=0, overrides=0)
    first, again, writes = [], [], {}
    try:
        for rnd in range(repeat + 1):
            reserve_at_boot(host.restart())
            argv, env = playbook(host, play, tmp)
            elapsed = harness.wall(argv, env)
            writes['ours'] = host.writes()
            elapsed_again = harness.wall(argv, env)
            if host.writes() != writes['ours']:
                raise SystemExit('the re-run wrote to sysfs')
            if rnd:
                first.append(elapsed)
                again.append(elapsed_again)
        if harness.changed_count(harness.run_output(argv, env)) != 0:
            raise SystemExit('the re-run reported a change')
        payload = harness.ansible_playbook_payload(argv, env, tmp, 'mdev')
        t = harness.compare(host, {'mdev': harness.module_cmd(payload), 'list': ['mdevctl', 'list', '-d']}, 7)
        jobs, theirs = mdevctl_jobs(tmp), []
        for rnd in range(repeat + 1):
            reserve_at_boot(host.restart())
            elapsed = harness.compare(host, {'mdevctl': jobs}, repeat=1, warmup=0)['mdevctl'][0]
            writes['theirs'] = host.writes()
            if rnd:
                theirs.append(elapsed)
    finally:
        host.stop()
    note = 'sysfs writes: %d by the playbook, %d by mdevctl' % (writes['ours'], writes['theirs'])
    results.pair('4a. converge %d vfio-ap devices on a fresh host' % COUNT,
                 ('ansible-playbook, one mdev task', harness.stats(first)),
                 ('mdevctl define + start x %d' % COUNT, harness.stats(theirs)), note=note)
    results.figure('4b. no-change re-run of the same playbook', 'ansible-playbook, one mdev task',
                   harness.stats(again), note='no write to sysfs or /etc; changed=0')
    results.pair('4c. no-change re-run: the module process alone',
                 ('mdev process (%d devices)' % COUNT, harness.stats(t['mdev'])),
                 ('mdevctl list -d', harness.stats(t['list'])), target=1.5)
