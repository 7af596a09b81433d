"""check_host: the definitions validation cannot read are returned as unknown, never checked as valid."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.conflicts import check_host

A = 'aaaaaaaa-0000-4000-8000-000000000001'
B = 'bbbbbbbb-0000-4000-8000-000000000002'
C = 'cccccccc-0000-4000-8000-000000000003'
DEFINITION = '{"mdev_type": "vfio_ap-passthrough", "start": "auto", ' \
             '"attrs": [{"assign_adapter": "5"}, {"assign_domain": "4"}]}'


def put(root, parent, name, text):
    directory = os.path.join(os.fsencode(str(root)), b'etc', b'mdevctl.d', os.fsencode(parent))
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, os.fsencode(name)), 'w') as f:
        f.write(text)


def test_unreadable_definitions_are_unknown_and_the_rest_is_checked(tmp_path):
    put(tmp_path, 'matrix', A, DEFINITION)
    put(tmp_path, 'matrix', B, '[' * 100000)
    put(tmp_path, b'matrix\xff', C, DEFINITION)  # mdevctl could autostart either: validation cannot tell
    system, conflicts, unknown = check_host(Host(str(tmp_path)))
    assert list(system.devices) == [('matrix', A)] and system.devices[('matrix', A)].autostart and conflicts == []
    assert [(p['uuid'], p['path']) for p in unknown] == [
        (B, '/etc/mdevctl.d/matrix/' + B), (C, '/etc/mdevctl.d/matrix\\xff/' + C)]


def test_a_clean_host_has_nothing_unknown(tmp_path):
    put(tmp_path, 'matrix', A, DEFINITION)
    put(tmp_path, 'matrix', B, DEFINITION.replace('"4"', '"5"'))
    system, conflicts, unknown = check_host(Host(str(tmp_path)))
    assert len(system.devices) == 2 and conflicts == [] and unknown == []
    put(tmp_path, 'matrix', C, DEFINITION)  # the same APQN as A, both autostart
    _system, conflicts, unknown = check_host(Host(str(tmp_path)))
    assert [c['kind'] for c in conflicts] == ['apqn_in_use'] and unknown == []
