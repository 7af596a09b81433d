"""The ``scale`` scenario: a large host built from parameters instead of a YAML file.

    simhost start ROOT --scenario scale --set parents=64 --set active=500 ...

Drivers and the vfio_ap matrix device come from ``seed.yaml`` (AP) and ``x86.yaml`` (PCI), so
their behaviour is the one the functional suite checks; only the counts differ.
"""

import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SIMHOST = os.path.dirname(HERE)
if SIMHOST not in sys.path:
    sys.path.append(SIMHOST)  # imported by the tests from scenarios/ alone: the AP limits come from simkernel

from simkernel.ap import AP_MASK_BITS, AP_MAX_ID  # noqa: E402  (after the path set-up)

DEFAULTS = {
    'parents': 64,      # N mdev parents (mtty-like class devices)
    'types': 4,         # M types a parent, type i taking i + 1 instances of the parent's pool
    'active': 500,      # K running mdevs spread over the parents
    'defined': 500,     # L definitions in /etc/mdevctl.d, not running
    'pci': 500,         # PCI devices (a driver each, in IOMMU groups of their own)
    'overrides': 500,   # of which this many have driver_override=vfio-pci and are bound to it
    'adapters': AP_MASK_BITS,  # AP adapters (cards) ...
    'domains': AP_MASK_BITS,   # ... each with this many domains: adapters x domains queue devices
    'reserve': 1,       # 1: apmask and aqmask all zeros, every queue reserved for vfio_ap
    'ap_active': 0,     # running vfio_ap mdevs, each with one adapter and ap_per domains, no APQN twice
    'ap_per': 64,
    'ap_defined': 0,    # vfio_ap definitions, not running, claiming APQNs as ap_active would
    'uevents': 0,       # 1: record uevents (tens of thousands of AP queues send a hundred thousand; see boot.py)
}


def uuid_of(kind, index):
    """A stable uuid per kind (0 mtty-like, 1 vfio_ap) and index, as benchmarks predict them."""
    return '%08x-%04x-4000-8000-%012x' % (index, kind, index)


def _load(name):
    """One of the YAML scenarios, parsed."""
    with open(os.path.join(HERE, name + '.yaml')) as f:
        return yaml.safe_load(f)


def _json(mdev_type, start, attrs):
    """An mdevctl definition file's text."""
    # mdevctl's layout: serde_json's pretty printer indents by two spaces, as json.dumps(indent=2) does
    return json.dumps({'mdev_type': mdev_type, 'start': start, 'attrs': attrs}, indent=2)


def ap_claim(index, per, domains):
    """Adapter and domains of the index-th vfio_ap device: one adapter, ``per`` domains of it."""
    first = index * per
    adapter, start = divmod(first, domains)
    return adapter, list(range(start, start + per))


def generate(**params):
    """The scenario dict for ``params`` (names as in DEFAULTS; values may be strings)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        known = ', '.join(sorted(DEFAULTS))
        raise ValueError('unknown scale parameters: %s (known: %s)' % (', '.join(sorted(unknown)), known))
    p = dict(DEFAULTS, **dict((k, int(v)) for k, v in params.items()))
    if not 1 <= p['adapters'] <= AP_MASK_BITS or not 1 <= p['domains'] <= AP_MASK_BITS:
        raise ValueError('adapters and domains go from 1 to %d' % AP_MASK_BITS)
    seed, x86 = _load('seed'), _load('x86')
    files, mdevs = {}, []
    types = dict(('mtty-%d' % (i + 1), {'name': '%d port serial' % (i + 1), 'device_api': 'vfio-pci', 'units': i + 1})
                 for i in range(p['types']))
    per_parent = (p['active'] + p['defined']) // max(p['parents'], 1) + 1
    parents = [{'name': 'mtty%02d' % i, 'path': 'virtual/mtty/mtty%02d' % i, 'mdev_driver': 'vfio_mdev',
                'mdev_pool': per_parent * p['types'] * 2, 'mdev_types': types} for i in range(p['parents'])]
    for i in range(p['active'] + p['defined']):
        parent = 'mtty%02d' % (i % p['parents'])
        mtype = 'mtty-%d' % (i // p['parents'] % p['types'] + 1)
        uuid = uuid_of(0, i)
        if i < p['active']:
            mdevs.append({'uuid': uuid, 'parent': parent, 'type': mtype})
        else:
            files['/etc/mdevctl.d/%s/%s' % (parent, uuid)] = _json(mtype, 'auto' if i % 2 else 'manual', [])
    if p['ap_per'] * (p['ap_active'] + p['ap_defined']) > p['adapters'] * p['domains']:
        raise ValueError('ap_active + ap_defined devices of ap_per domains do not fit the AP configuration')
    for i in range(p['ap_active'] + p['ap_defined']):
        adapter, doms = ap_claim(i, p['ap_per'], p['domains'])
        uuid = uuid_of(1, i)
        if i < p['ap_active']:
            mdevs.append({'uuid': uuid, 'parent': 'matrix', 'type': 'vfio_ap-passthrough',
                          'matrix': {'adapter': [adapter], 'domain': doms}})
        else:
            attrs = [{'assign_adapter': '0x%x' % adapter}] + [{'assign_domain': '0x%x' % d} for d in doms]
            files['/etc/mdevctl.d/matrix/%s' % uuid] = _json('vfio_ap-passthrough', 'auto', attrs)
    pci = []
    for i in range(p['pci']):
        bus, slot = divmod(i, 32)
        name = '0000:%02x:%02x.0' % (bus + 1, slot)
        dev = {'name': name, 'path': 'pci0000:00/' + name, 'iommu_group': 100 + i,
               'attrs': {'vendor': '0x8086', 'device': '0x10d3', 'class': '0x020000'}}
        if i < p['overrides']:
            dev.update(override='vfio-pci', driver='vfio-pci')
        pci.append(dev)
    ap_bus = seed['buses']['ap']
    everything = list(range(AP_MASK_BITS)) if p['reserve'] else []
    return {
        'description': 'A large host: %(parents)d mdev parents of %(types)d types, %(active)d running and '
                       '%(defined)d defined mdevs, %(pci)d PCI devices (%(overrides)d overridden), '
                       '%(adapters)d x %(domains)d AP queues.' % p,
        'buses': {
            'pci': {'drivers': x86['buses']['pci']['drivers'], 'devices': pci},
            'ap': ap_bus,
            'matrix': seed['buses']['matrix'],
            'mdev': {'drivers': seed['buses']['mdev']['drivers'] + x86['buses']['mdev']['drivers']},
        },
        'ap': {'max_adapter_id': AP_MAX_ID, 'max_domain_id': AP_MAX_ID, 'domains': list(range(p['domains'])),
               'freed_adapters': everything, 'freed_domains': everything,
               'cards': dict((a, {'attrs': {'hwtype': 13, 'raw_hwtype': 13, 'type': 'CEX7C', 'online': 1,
                                            'config': 1}}) for a in range(p['adapters']))},
        'class_parents': parents,
        'modules': ['mtty', 'vfio_pci'],
        'mdevs': mdevs,
        'files': files,
        'uevents': bool(p['uevents']),
    }
