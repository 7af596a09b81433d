"""The simulated AP bus against the errno table of the IBM Z reference (s390-sysfs.md, section 2).

No kernel here can run vfio-ap (QEMU's TCG has no AP facility; see tests/kernel/s390/README.md), so
the specification is what the simulator is held to. This test reads the markdown table(s) that list
AP bus attributes with their read and write rules, turns each rule into writes, and checks the
errno (or success) the simulator gives for each: an attribute or a rule it cannot read fails the
test, so a change of the reference is noticed. The simulator is loaded in-process from the seed
scenario (simkernel.load), with two vfio_ap mdevs for the rule that needs them (EBUSY).
"""

import errno
import os
import re
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SIMHOST = os.path.join(REPO, 'tests', 'simhost')
REFERENCE = os.environ.get('VFIO_S390_REFERENCE',
                           os.path.join(os.path.dirname(REPO), 'shared', 'reference', 's390-sysfs.md'))
sys.path.insert(0, SIMHOST)
import simkernel  # noqa: E402  (after the path set-up)

BUS = '/sys/bus/ap'
# Two vfio_ap mdevs: (adapter 5, domain 0x10) and (adapter 3, domain 4). Neither APQN is the host's
# (apmask frees adapter 5, aqmask domain 4), but apmask +5 or aqmask +4 would make one the host's.
MDEVS = {'5e1f0000-5390-4000-8000-000000000001': (5, 0x10), '5e1f0000-5390-4000-8000-000000000002': (3, 4)}
MATRIX_TYPE = '/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough'


def table_rows(text):
    """Every row of every markdown table whose header names a ``write`` column: (first cell, {column: cell})."""
    rows, header = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith('|'):
            header = None
            continue
        cells = [c.strip() for c in line.strip('|').split('|')]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set(''.join(cells)) <= set('-: '):
            continue
        if 'write' in header:
            rows.append(dict(zip(header, cells)))
    return rows


def attributes(row):
    """The attribute names of a row's first cell (``apmask, aqmask``), with the write rule of each.

    A rule ``A / B`` gives A to the first name and B to the second (``poll_thread / ap_interrupts``).
    """
    names = re.findall(r'[a-z_]+', re.sub(r'\(.*?\)', '', list(row.values())[0]))
    rules = [r.strip() for r in row['write'].split(' / ')] if ' / ' in row['write'] else [row['write']] * len(names)
    return list(zip(names, rules))


def load_reference():
    """(attribute, write rule) of every table row of the reference; skip without the reference."""
    if not os.path.exists(REFERENCE):
        pytest.skip('the IBM Z reference %s is not here' % REFERENCE)
    with open(REFERENCE) as f:
        text = f.read()
    found = [pair for row in table_rows(text) for pair in attributes(row)]
    assert found, 'no table with a write column in %s' % REFERENCE
    return found


def cases(kernel, name, rule):
    """[(data, errno name or 'ok', why)] that the rule ``rule`` of attribute ``name`` asks for.

    Each recognised phrase of the reference adds writes; a rule with no recognised phrase is an
    error, so that a new kind of rule gets its writes here.
    """
    out = []
    if rule == 'RO':
        out.append(('1\n', 'EACCES', 'read-only attribute'))
    if 'absolute hex' in rule:
        out += [('0x' + 'f' + '0' * 63 + '\n', 'ok', 'absolute, 64 digits'), ('f0\n', 'ok', 'absolute, left-aligned'),
                ('0x' + 'f' * 65 + '\n', 'EINVAL', 'more than 64 digits'), ('0xzz\n', 'EINVAL', 'not hex')]
    if 'relative' in rule:
        out += [('+1\n', 'ok', 'relative +n'), ('-1,+2-3\n', 'ok', 'relative list with a range'),
                ('+256\n', 'EINVAL', 'number not below 256'), ('+1,x\n', 'EINVAL', 'an item without +/-')]
    if 'EBUSY' in rule:
        # giving adapter 5 or domain 4 back to the host takes an APQN from an mdev
        out.append(('+5\n' if name == 'apmask' else '+4\n', 'EBUSY', 'covers an APQN assigned to an mdev'))
    if '`%i`' in rule:
        top = int(kernel.read(kernel.tree.get(BUS + '/ap_max_domain_id')))
        out += [('0x10\n', 'ok', '%i reads hex'), ('16\n', 'ok', 'a domain in aqmask'),
                ('%d\n' % (top + 1), 'EINVAL', 'above ap_max_domain_id'), ('x\n', 'EINVAL', 'not a number'),
                ('-1\n', 'EINVAL', 'negative')]
    if 'in aqmask' in rule:
        out.append(('4\n', 'EINVAL', 'a domain not in aqmask (given to vfio_ap)'))
    m = re.search(r'(\d+)-(\d+) else EINVAL', rule)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        out += [('%d\n' % lo, 'ok', 'lowest'), ('%d\n' % hi, 'ok', 'highest'),
                ('%d\n' % (lo - 1), 'EINVAL', 'below'), ('%d\n' % (hi + 1), 'EINVAL', 'above')]
    if 'kstrtobool' in rule:
        out += [('1\n', 'ok', 'true'), ('0\n', 'ok', 'false'), ('y\n', 'ok', 'y'), ('x\n', 'EINVAL', 'not a bool')]
    m = re.search(r'≤\s*([0-9.]+)e([0-9]+)', rule)
    if m:
        limit = int(float(m.group(1)) * 10 ** int(m.group(2)))
        out += [('%d\n' % limit, 'ok', 'the limit'), ('%d\n' % (limit + 1), 'EINVAL', 'above the limit'),
                ('x\n', 'EINVAL', 'not a number')]
    if 'any write' in rule:
        out += [('1\n', 'ok', 'any write'), ('whatever\n', 'ok', 'any write')]
    if 'bad → EINVAL' in rule and not any(e == 'EINVAL' for _d, e, _w in out):
        out.append(('junk\n', 'EINVAL', 'bad'))
    if re.search(r'\bEINVAL\b', rule) and not any(e == 'EINVAL' for _d, e, _w in out):
        raise AssertionError('the rule of %s names EINVAL but no write here tests it: %r' % (name, rule))
    return out


def seed_host():
    """The seed host in-process, with the vfio_ap mdevs of MDEVS."""
    with open(os.path.join(SIMHOST, 'scenarios', 'seed.yaml')) as f:
        k = simkernel.load(yaml.safe_load(f))
    create = MATRIX_TYPE + '/create'
    for uuid, (adapter, domain) in sorted(MDEVS.items()):
        k.write(create, k.tree.get(create), uuid + '\n')
        for attr, value in (('assign_adapter', adapter), ('assign_domain', domain)):
            path = '/sys/devices/vfio_ap/matrix/%s/%s' % (uuid, attr)
            k.write(path, k.tree.get(path), '%d\n' % value)
    return k


@pytest.fixture
def kernel():
    """A fresh seed host (seed_host())."""
    return seed_host()


def outcome(kernel, path, data):
    """'ok' or the errno name of one write, as a shell's echo into the file would end."""
    node = kernel.tree.get(path)
    assert node is not None, '%s does not exist in the simulator' % path
    if not node.mode & 0o222:
        return 'EACCES'  # sysfs refuses to open a read-only attribute for writing, even for root
    try:
        kernel.write(path, node, data)
        return 'ok'
    except OSError as exc:
        return errno.errorcode[exc.errno]


def test_the_reference_has_the_ap_bus_table():
    names = [name for name, _rule in load_reference()]
    assert {'apmask', 'aqmask', 'ap_domain', 'config_time'} <= set(names)


def test_every_write_rule_of_the_table(kernel):
    wrong, tried = [], 0
    for name, rule in load_reference():
        todo = cases(kernel, name, rule)
        assert todo, 'no writes derived for %s from the rule %r: teach cases() this rule' % (name, rule)
        for data, want, why in todo:
            got = outcome(seed_host(), '%s/%s' % (BUS, name), data)  # every write on the seed's own state
            tried += 1
            if got != want:
                wrong.append('%s <- %r (%s): simulator %s, reference %s [%s]' % (name, data, why, got, want, rule))
    assert not wrong, '\n'.join(wrong)
    assert tried >= 30


def test_read_only_attributes_read_as_the_reference_says(kernel):
    def read(name):
        return kernel.read(kernel.tree.get('%s/%s' % (BUS, name)))
    for name in ('apmask', 'aqmask', 'ap_adapter_mask', 'ap_usage_domain_mask', 'ap_control_domain_mask'):
        assert re.match(r'^0x[0-9a-f]{64}\n$', read(name)), name
    assert read('config_time') == '30\n'
    assert read('ap_max_domain_id') == '255\n'
    assert re.match(r'^\d+/\d+( \(complete\))?\n$', read('bindings'))
    assert set(read('features').split()) <= {'APSC', 'APXA', 'QACT', 'RC8A', 'APSB'} or read('features') == '-\n'
    assert read('poll_thread') in ('0\n', '1\n')
    assert int(read('ap_domain')) in (-1, 0x10)
