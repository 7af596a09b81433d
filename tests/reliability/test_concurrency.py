"""Two runs at once against one host, and the lock protocol shared with s390-tools."""

import fcntl
import json
import os
import subprocess

import yaml

from support.ansible_run import ansible_env
from support.paths import REPO, VENV_BIN

UUIDS = ['%08x-0000-4000-8000-00000000%04x' % (0xaaaa0000 + i, i) for i in range(16)]


def playbook_file(tmp_path, name, uuids, domain_base):
    tasks = [{'name': 'define %s' % u, 'vfio.passthrough.mdev': {
        'uuid': u, 'parent': 'matrix', 'type': 'vfio_ap-passthrough', 'state': 'defined',
        'attrs': [{'assign_adapter': '5'}, {'assign_domain': str(domain_base + i)}]}} for i, u in enumerate(uuids)]
    path = tmp_path / name
    path.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]))
    return str(path)


def run_together(*books):
    procs = [subprocess.Popen([os.path.join(VENV_BIN, 'ansible-playbook'), b], cwd=REPO, env=ansible_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
             for b in books]
    return [(p.wait(), p.stdout.read()) for p in procs]


def definitions(sim):
    d = sim.path('etc/mdevctl.d/matrix')
    out = {}
    for name in os.listdir(d):
        with open(os.path.join(d, name)) as f:
            out[name] = json.load(f)  # every file is whole, valid JSON
    return out


def lock_is_free(path):
    """True if nobody holds the flock on ``path``."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def test_two_runs_on_different_devices(seed, tmp_path):
    a = playbook_file(tmp_path, 'a.yml', UUIDS[:8], 0x20)
    b = playbook_file(tmp_path, 'b.yml', UUIDS[8:], 0x40)
    for rc, out in run_together(a, b):
        assert rc == 0, out
    found = definitions(seed)
    assert sorted(found) == sorted(UUIDS)
    assert found[UUIDS[9]]['attrs'] == [{'assign_adapter': '5'}, {'assign_domain': str(0x41)}]


def test_two_runs_on_the_same_devices(seed, tmp_path):
    a = playbook_file(tmp_path, 'a.yml', UUIDS[:8], 0x20)
    b = playbook_file(tmp_path, 'b.yml', UUIDS[:8], 0x20)
    results = run_together(a, b)
    for rc, out in results:
        assert rc == 0, out
    assert sorted(definitions(seed)) == sorted(UUIDS[:8])
    assert lock_is_free(seed.path('run/lock/vfio-passthrough.lock'))  # released


def test_stale_lock_of_a_dead_process_is_taken_over(seed, module):
    os.makedirs(seed.path('run/lock'), exist_ok=True)
    with open(seed.path('run/lock/vfio-passthrough.lock'), 'w') as f:
        f.write('999999\n')
    result = module('mdev', uuid=UUIDS[0], parent='matrix', type='vfio_ap-passthrough', state='defined')
    assert result['changed'], result.get('msg')


CALLOUT = '''#!/bin/sh
# records who holds s390-tools' AP lock while mdevctl-style callouts run (ap-check takes it "for its parent")
echo "$PPID $(cat {root}/run/lock/s390apconfig.lock 2>/dev/null)" >> {root}/.simhost/lock-seen
exit 0
'''


def test_callouts_see_the_ap_lock_held_by_their_parent(seed, module):
    d = seed.path('etc/mdevctl.d/scripts.d/callouts')
    os.makedirs(d)
    with open(os.path.join(d, 'lock-probe'), 'w') as f:
        f.write(CALLOUT.format(root=seed.root))
    os.chmod(os.path.join(d, 'lock-probe'), 0o755)
    module('mdev', uuid=UUIDS[0], parent='matrix', type='vfio_ap-passthrough', state='defined')
    with open(seed.path('.simhost/lock-seen')) as f:
        lines = [line.split() for line in f]
    assert lines and all(len(parts) == 2 and parts[0] == parts[1] for parts in lines), lines
    assert not os.path.exists(seed.path('run/lock/s390apconfig.lock'))
