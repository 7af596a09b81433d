"""list_mdevs with odd definition files: the others are listed, the odd ones are printable problems."""

import json
import os

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.inventory import list_mdevs

A = 'aaaaaaaa-0000-4000-8000-000000000001'
B = 'bbbbbbbb-0000-4000-8000-000000000002'
GOOD = '{"mdev_type": "vfio_ap-passthrough", "start": "manual", "attrs": []}'


def test_odd_files_are_problems_and_the_listing_goes_on(tmp_path):
    base = os.path.join(os.fsencode(str(tmp_path)), b'etc', b'mdevctl.d')
    for parent, name, text in ((b'matrix', A, GOOD), (b'matrix', B, '{"mdev_type": "\\udcff"}'),
                               (b'm\xe9trix', B, GOOD), (b'matrix', 'README', 'not a definition')):
        os.makedirs(os.path.join(base, parent), exist_ok=True)
        with open(os.path.join(base, parent, name.encode()), 'w') as f:
            f.write(text)
    devices, types, problems = list_mdevs(Host(str(tmp_path)))
    assert [(d['uuid'], d['parent'], d['defined']) for d in devices] == [(A, 'matrix', True)] and types == {}
    assert [p['path'] for p in problems] == ['/etc/mdevctl.d/matrix/' + B, '/etc/mdevctl.d/m\\xe9trix/' + B]
    json.dumps([devices, problems], ensure_ascii=False).encode('utf-8')  # what Ansible returns: no lone surrogate
