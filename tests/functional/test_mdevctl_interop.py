"""mdevctl and this collection are interchangeable: Debian's mdevctl runs on the same simulated
host in a private mount namespace (simulated /sys, ROOT/etc/mdevctl.d over /etc/mdevctl.d)."""

import json
import os
import shutil

import pytest

from support.peers import run_peer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='unshare -m needs root')

AP = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
AP2 = '5ea6c8d9-52c5-4a37-9d0b-dd5e7b6d2b9c'
ATTRS = [{'assign_adapter': '5'}, {'assign_domain': '0xab'}, {'assign_domain': '0x42'}]


@pytest.fixture(autouse=True)
def mdevctl_installed(request):
    """The simulated root as a host with mdevctl installed (its binary and a udev rule that can run it), so
    that the collection leaves starting ``auto`` devices at boot to mdevctl, as on such a host."""
    for name in ('seed', 'x86'):
        if name in request.fixturenames:
            sim = request.getfixturevalue(name)
            rule = 'ACTION=="add", TEST=="/etc/mdevctl.d/$kernel", RUN+="/usr/sbin/mdevctl start-parent-mdevs %k"\n'
            for path, text in (('usr/sbin/mdevctl', '#!/bin/sh\n'), ('usr/lib/udev/rules.d/60-mdevctl.rules', rule)):
                os.makedirs(os.path.dirname(sim.path(path)), exist_ok=True)
                with open(sim.path(path), 'w') as f:
                    f.write(text)


def mdevctl(sim, *args):
    assert shutil.which('mdevctl'), 'mdevctl is not installed (make test installs it)'
    rc, out = run_peer(sim, 'mdevctl', *args)
    assert rc == 0, out
    return out


def test_module_definition_is_what_mdevctl_writes_and_lists(seed, module):
    result = module('mdev', uuid=AP, parent='matrix', type='vfio_ap-passthrough', attrs=ATTRS, state='defined')
    assert result['changed'], result
    mdevctl(seed, 'define', '-u', AP2, '-p', 'matrix', '-t', 'vfio_ap-passthrough')
    for name, value in (('assign_adapter', '5'), ('assign_domain', '0xab'), ('assign_domain', '0x42')):
        mdevctl(seed, 'modify', '-u', AP2, '--addattr=' + name, '--value=' + value)
    with open(seed.path('etc/mdevctl.d/matrix', AP), 'rb') as ours, \
            open(seed.path('etc/mdevctl.d/matrix', AP2), 'rb') as theirs:
        assert ours.read() == theirs.read()  # byte for byte
    listed = json.loads(mdevctl(seed, 'list', '-d', '--dumpjson'))
    devices = dict(next(iter(d.items())) for d in listed[0]['matrix'])
    assert devices[AP] == devices[AP2] == {'mdev_type': 'vfio_ap-passthrough', 'start': 'manual', 'attrs': ATTRS}


def test_mdevctl_devices_are_reported_identically(seed, module):
    mdevctl(seed, 'define', '-u', AP, '-p', 'matrix', '-t', 'vfio_ap-passthrough', '-a')
    mdevctl(seed, 'modify', '-u', AP, '--addattr=assign_adapter', '--value=5')
    mdevctl(seed, 'modify', '-u', AP, '--addattr=assign_domain', '--value=4')
    mdevctl(seed, 'start', '-u', AP)
    info = module('mdev_info', uuid=AP)
    assert info['devices'] == [{'uuid': AP, 'parent': 'matrix', 'mdev_type': 'vfio_ap-passthrough', 'start': 'auto',
                                'attrs': [{'assign_adapter': '5'}, {'assign_domain': '4'}],
                                'defined': True, 'active': True,
                                # what it runs with, from the matrix the kernel shows
                                'active_attrs': [{'assign_adapter': '0x5'}, {'assign_domain': '0x4'}],
                                'active_attrs_source': 'matrix'}]
    listed = json.loads(mdevctl(seed, 'list', '-d', '--dumpjson'))
    assert next(iter(listed[0]['matrix'][0].values()))['attrs'] == info['devices'][0]['attrs']
    again = module('mdev', uuid=AP, state='started')
    assert not again['changed']


def test_module_modified_device_starts_with_mdevctl_and_vice_versa(seed, module):
    module('mdev', uuid=AP, parent='matrix', type='vfio_ap-passthrough', state='defined',
           attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}])
    module('mdev', uuid=AP, state='defined', attrs_delete_index=1, attrs_add=[{'assign_domain': '0x42'}])
    mdevctl(seed, 'start', '-u', AP)
    assert seed.read('sys/bus/mdev/devices', AP, 'matrix') == '05.0042'
    mdevctl(seed, 'stop', '-u', AP)
    mdevctl(seed, 'define', '-u', AP2, '-p', 'matrix', '-t', 'vfio_ap-passthrough')
    mdevctl(seed, 'modify', '-u', AP2, '--addattr=assign_adapter', '--value=5')
    mdevctl(seed, 'modify', '-u', AP2, '--addattr=assign_domain', '--value=0xab')
    result = module('mdev', uuid=AP2, state='started')
    assert result['changed'] and result['devices'][0]['active']
    assert seed.read('sys/bus/mdev/devices', AP2, 'matrix') == '05.00ab'
    assert 'active' in mdevctl(seed, 'list', '-d')
