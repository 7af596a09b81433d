"""The scale scenario: a host of the size its parameters say, readable by the modules and by mdevctl."""

import os
import sys

import pytest

from support.peers import run_peer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                'simhost', 'scenarios'))
import scale  # noqa: E402

SMALL = dict(parents=3, types=2, active=5, defined=4, pci=4, overrides=2, adapters=2, domains=3,
             ap_active=2, ap_defined=1, ap_per=2)


def test_unknown_or_impossible_parameters_are_refused():
    with pytest.raises(ValueError, match='unknown scale parameters: nodes'):
        scale.generate(nodes=3)
    with pytest.raises(ValueError, match='1 to 256'):
        scale.generate(adapters=257)
    with pytest.raises(ValueError, match='do not fit'):
        scale.generate(adapters=1, domains=4, ap_active=3, ap_per=2)


def test_ap_claims_never_overlap():
    claims = set()
    for i in range(1000):
        adapter, domains = scale.ap_claim(i, 64, 256)
        pairs = set((adapter, d) for d in domains)
        assert not pairs & claims and max(domains) < 256
        claims |= pairs
    assert len(claims) == 64000


@pytest.fixture
def small(sim_factory):
    """A small scale host."""
    return sim_factory('scale', **SMALL)


def test_sizes_match_the_parameters(small):
    assert sorted(os.listdir(small.path('sys/class/mdev_bus'))) == ['matrix', 'mtty00', 'mtty01', 'mtty02']
    assert sorted(os.listdir(small.path('sys/class/mdev_bus/mtty01/mdev_supported_types'))) == ['mtty-1', 'mtty-2']
    assert len(os.listdir(small.path('sys/bus/mdev/devices'))) == 5 + 2
    defined = [n for p in os.listdir(small.path('etc/mdevctl.d')) if p != 'scripts.d'
               for n in os.listdir(small.path('etc/mdevctl.d', p))]
    assert len(defined) == 4 + 1
    pci = sorted(os.listdir(small.path('sys/bus/pci/devices')))
    assert len(pci) == 4 and [small.driver('pci', d) for d in pci] == ['vfio-pci', 'vfio-pci', 'e1000e', 'e1000e']
    assert small.read('sys/bus/pci/devices', pci[0], 'driver_override') == 'vfio-pci'
    assert len(os.listdir(small.path('sys/bus/ap/devices'))) == 2 + 2 * 3  # cards and queues
    assert small.read('sys/bus/ap/apmask') == '0x' + '0' * 64  # reserve=1: everything for vfio_ap


def test_running_matrix_is_the_claim(small):
    for i in range(2):
        adapter, domains = scale.ap_claim(i, 2, 3)
        lines = small.read('sys/bus/mdev/devices', scale.uuid_of(1, i), 'matrix').split()
        assert lines == ['%02x.%04x' % (adapter, d) for d in domains]


def test_mdev_info_and_mdevctl_see_the_same_devices(small, module):
    info = module('mdev_info')
    assert not info.get('failed') and info['problems'] == []
    ours = dict((d['uuid'], (d['parent'], d['mdev_type'], d['active'], d['defined'])) for d in info['devices'])
    assert len(ours) == 5 + 4 + 2 + 1
    theirs = {}
    for flag, active in (([], True), (['-d'], False)):
        rc, out = run_peer(small, 'mdevctl', 'list', *flag)
        assert rc == 0, out
        for line in out.splitlines():
            if line.strip() and not line.startswith(' '):
                uuid, parent, mtype = line.split()[:3]
                got = theirs.get(uuid, (parent, mtype, False, False))
                theirs[uuid] = (parent, mtype, got[2] or active, got[3] or not active)
    assert ours == theirs


def test_instances_are_shared_by_the_types_of_a_parent(small, module):
    # pool (5 + 4) // 3 + 1 = 4 devices x 2 types x 2 = 16; mtty00 runs devices 0 (mtty-1) and 3 (mtty-2)
    types = module('mdev_info')['types']['mtty00']
    assert dict((t, v['available_instances']) for t, v in types.items()) == {'mtty-1': 13, 'mtty-2': 6}
