"""Behaviour of current mdevctl (and driverctl) that this collection follows: each case builds the
host as mdevctl (or driverctl) builds it - files and sysfs entries as it writes them, or Debian's
mdevctl 1.2 itself where 1.2 can express the case - and checks the modules against it."""

import json
import os
import shutil

import pytest
import yaml

from support.paths import SIMHOST
from support.peers import run_peer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='unshare -m needs root')

U = '0a5f3c4e-9d1b-4f6a-8c2e-7b3d5e9f1a20'
U2 = '1b6e4d5f-0e2c-4a7b-9d3f-8c4e6f0a2b31'
AP = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
MTTY = dict(parent='mtty', type='mtty-1')
OTHER_PARENT = '0000:00:03.0'


def mdevctl(sim, *args, **kw):
    assert shutil.which('mdevctl'), 'mdevctl is not installed (make test installs it)'
    rc, out = run_peer(sim, 'mdevctl', *args)
    if kw.get('check', True):
        assert rc == 0, out
    return out if kw.get('check', True) else (rc, out)


def lines(out):
    """The lines mdevctl printed (it ends its listing with an empty line)."""
    return [line for line in out.splitlines() if line]


def definition_file(sim, parent, uuid, obj=None, text=None):
    """Write a definition as mdevctl writes it (pretty JSON, two spaces, no trailing newline)."""
    path = sim.path('etc/mdevctl.d', parent, uuid)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text if text is not None else json.dumps(obj, indent=2))
    return path


def read(path):
    with open(path) as f:
        return f.read()


def callout(sim, name, body):
    """An executable callout script that logs each call, then runs ``body`` (sh)."""
    d = sim.path('etc/mdevctl.d/scripts.d/callouts')
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\necho "${0##*/} $*" >> %s\n%s\n' % (sim.path('.simhost/callouts.log'), body))
    os.chmod(path, 0o755)
    return path


def calls(sim):
    """Each logged call as (script, event, action)."""
    try:
        lines = read(sim.path('.simhost/callouts.log')).splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        words = line.split()
        args = dict(zip(words[1::2], words[2::2]))
        out.append((words[0], args['-e'], args['-a']))
    return out


def caps(actions, events, version=2):
    return json.dumps({'supports': {'version': version, 'actions': actions, 'events': events}})


# 1. one uuid defined under two parents


@pytest.fixture
def two_parents(x86):
    """U defined under mtty and under another parent, as mdevctl 1.2 defines them (-p tells them apart)."""
    mdevctl(x86, 'define', '-u', U, '-p', 'mtty', '-t', 'mtty-1')
    mdevctl(x86, 'define', '-u', U, '-p', OTHER_PARENT, '-t', 'mtty-2')
    assert sorted(lines(mdevctl(x86, 'list', '-d'))) == sorted([
        '%s mtty mtty-1 manual' % U, '%s %s mtty-2 manual' % (U, OTHER_PARENT)])
    return x86


def test_same_uuid_under_two_parents_is_listed_twice(two_parents, module):
    info = module('mdev_info')
    assert [(d['parent'], d['mdev_type']) for d in info['devices']] == [(OTHER_PARENT, 'mtty-2'), ('mtty', 'mtty-1')]
    assert info['problems'] == []
    only = module('mdev_info', uuid=U, parent=OTHER_PARENT)
    assert [(d['parent'], d['mdev_type']) for d in only['devices']] == [(OTHER_PARENT, 'mtty-2')]


def test_same_uuid_without_parent_is_refused_as_ambiguous(two_parents, module):
    before = two_parents.snapshot()
    for state in ('started', 'defined'):
        result = module('mdev', uuid=U, state=state)
        assert result['failed'] and 'ambiguous' in result['msg'], result
        assert 'mtty' in result['msg'] and OTHER_PARENT in result['msg']
        assert result['parents'] == [OTHER_PARENT, 'mtty']
    assert two_parents.snapshot() == before


def test_absent_with_a_parent_leaves_the_other_parent_alone(two_parents, module):
    result = module('mdev', uuid=U, parent=OTHER_PARENT, state='absent')
    assert result['changed'] and [d['parent'] for d in result['devices']] == [OTHER_PARENT]
    assert os.path.exists(two_parents.path('etc/mdevctl.d/mtty', U))
    assert not os.path.exists(two_parents.path('etc/mdevctl.d', OTHER_PARENT, U))
    assert lines(mdevctl(two_parents, 'list', '-d')) == ['%s mtty mtty-1 manual' % U]
    # and the other way round: naming the parent that holds it, after the first is gone
    again = module('mdev', uuid=U, parent=OTHER_PARENT, state='absent')
    assert not again['changed']


def test_absent_without_parent_removes_every_definition_as_mdevctl_undefine(two_parents, module):
    result = module('mdev', uuid=U, state='absent')
    assert result['changed'] and sorted(d['parent'] for d in result['devices']) == sorted([OTHER_PARENT, 'mtty'])
    assert lines(mdevctl(two_parents, 'list', '-d')) == []


def test_naming_one_parent_changes_only_its_definition(two_parents, module):
    theirs = read(two_parents.path('etc/mdevctl.d', OTHER_PARENT, U))
    result = module('mdev', uuid=U, parent='mtty', state='started', autostart='auto')
    assert result['changed'] and result['devices'][0]['parent'] == 'mtty' and result['devices'][0]['active']
    assert read(two_parents.path('etc/mdevctl.d', OTHER_PARENT, U)) == theirs
    assert sorted(lines(mdevctl(two_parents, 'list', '-d'))) == sorted([
        '%s mtty mtty-1 auto (active)' % U, '%s %s mtty-2 manual' % (U, OTHER_PARENT)])
    # the running device is mtty's: starting the other parent's definition is refused, stopping it is a no-op
    refused = module('mdev', uuid=U, parent=OTHER_PARENT, state='started')
    assert refused['failed'] and 'already exists as type mtty-1 on parent mtty' in refused['msg']
    noop = module('mdev', uuid=U, parent=OTHER_PARENT, state='stopped')
    assert not noop['changed'] and os.path.exists(two_parents.path('sys/bus/mdev/devices', U))


def test_stopping_without_parent_stops_the_one_running_device(two_parents, module):
    module('mdev', uuid=U, parent='mtty', state='started')
    result = module('mdev', uuid=U, state='stopped')
    assert result['changed'] and not os.path.exists(two_parents.path('sys/bus/mdev/devices', U))
    assert len(lines(mdevctl(two_parents, 'list', '-d'))) == 2


def test_exclusive_keeps_the_same_uuid_of_another_parent(two_parents, module):
    module('mdev', uuid=U2, state='defined', **MTTY)
    result = module('mdev', type='mtty-1', exclusive=True, state='defined', devices=[dict(uuid=U2, parent='mtty')])
    assert result['changed']
    assert lines(mdevctl(two_parents, 'list', '-d')) == [
        '%s %s mtty-2 manual' % (U, OTHER_PARENT), '%s mtty mtty-1 manual' % U2] or \
        sorted(lines(mdevctl(two_parents, 'list', '-d'))) == sorted([
            '%s %s mtty-2 manual' % (U, OTHER_PARENT), '%s mtty mtty-1 manual' % U2])


# 2. callout versioning (mdevctl 1.3: get capabilities; Debian's 1.2 has no versioning to compare with)


def test_a_script_declaring_version_2_handles_the_event_before_an_earlier_one(x86, module):
    callout(x86, '10-plain', 'exit 0')
    callout(x86, '20-versioned', 'case "$4 $6" in "get capabilities") echo \'%s\';; esac; exit 0' %
            caps(['define', 'start', 'stop', 'undefine', 'modify'], ['pre', 'post', 'frobnicate']))
    result = module('mdev', uuid=U, state='defined', **MTTY)
    assert result['changed'], result
    # both are asked for capabilities (once each); the versioned one handles pre and post, alone
    assert calls(x86) == [('10-plain', 'get', 'capabilities'), ('20-versioned', 'get', 'capabilities'),
                          ('20-versioned', 'pre', 'define'), ('20-versioned', 'post', 'define')]


def test_an_event_the_versioned_script_does_not_declare_refuses_unless_forced(x86, module):
    callout(x86, '10-plain', 'exit 0')
    callout(x86, '20-versioned', 'case "$4 $6" in "get capabilities") echo \'%s\';; esac; exit 0' %
            caps(['start'], ['pre', 'post']))
    refused = module('mdev', uuid=U, state='defined', **MTTY)
    assert refused['failed'] and 'does not support pre-define' in refused['msg'], refused
    assert not os.path.exists(x86.path('etc/mdevctl.d/mtty', U))
    forced = module('mdev', uuid=U, state='defined', force=True, **MTTY)
    assert forced['changed'] and any('forced define' in w for w in forced['warnings'])
    assert ('10-plain', 'pre', 'define') not in calls(x86)


@pytest.mark.parametrize('answer', [
    caps(['define'], ['pre'], version=2.0), caps(['define'], 'pre'), '{"supports": {"version": 2, "actions": []}}',
    '{"supports": null}', 'not json'])
def test_an_answer_that_is_not_a_version_json_leaves_the_first_script_to_handle_it(x86, module, answer):
    callout(x86, '10-odd', 'case "$4 $6" in "get capabilities") echo \'%s\';; esac; exit 0' % answer)
    callout(x86, '20-plain', 'exit 0')
    assert module('mdev', uuid=U, state='defined', **MTTY)['changed']
    assert ('10-odd', 'pre', 'define') in calls(x86) and ('20-plain', 'pre', 'define') not in calls(x86)


def test_exit_2_of_the_versioned_script_is_a_failure_not_another_type(x86, module):
    callout(x86, '10-versioned', 'case "$4 $6" in "get capabilities") echo \'%s\'; exit 0;; esac; exit 2' %
            caps(['define'], ['pre', 'post']))
    result = module('mdev', uuid=U, state='defined', **MTTY)
    assert result['failed'] and 'exit 2' in result['msg']


def test_mdevctl_1_2_and_the_module_agree_on_a_plain_script(x86, module):
    """1.2 knows no capabilities: with scripts that declare none, both pick the first that answers."""
    callout(x86, '10-other', 'exit 2')
    callout(x86, '20-mine', 'exit 0')
    mdevctl(x86, 'define', '-u', U2, '-p', 'mtty', '-t', 'mtty-1')
    theirs = [c for c in calls(x86) if c[2] != 'capabilities']
    os.remove(x86.path('.simhost/callouts.log'))
    module('mdev', uuid=U, state='defined', **MTTY)
    ours = [c for c in calls(x86) if c[2] != 'capabilities' and c[1] != 'notify']
    assert [c for c in ours if c[1] == 'pre'] == [c for c in theirs if c[1] == 'pre'] == [
        ('10-other', 'pre', 'define'), ('20-mine', 'pre', 'define')]
    assert ('20-mine', 'post', 'define') in ours and ('20-mine', 'post', 'define') in theirs


# 3. stopping never runs get attributes


@pytest.mark.parametrize('args', [dict(), dict(force=True), dict(type='mtty-1', parent='mtty'),
                                  dict(type='mtty-1', parent='mtty', force=True, attrs=[])])
def test_stopping_never_runs_the_get_attributes_callout(x86, module, args):
    mdevctl(x86, 'start', '-u', U, '-p', 'mtty', '-t', 'mtty-1')  # running, not defined
    callout(x86, '10-attrs', 'case "$4" in get) echo \'[{"port": "1"}]\';; esac; exit 0')
    result = module('mdev', uuid=U, state='stopped', **args)  # the check-mode twin runs first
    assert result['changed'] and not os.path.exists(x86.path('sys/bus/mdev/devices', U))
    assert ('10-attrs', 'get', 'attributes') not in calls(x86)
    assert ('10-attrs', 'pre', 'stop') in calls(x86)


def test_defining_a_running_device_still_asks_get_attributes(x86, module):
    mdevctl(x86, 'start', '-u', U, '-p', 'mtty', '-t', 'mtty-1')
    callout(x86, '10-attrs', 'case "$4" in get) printf %s \'[{"example-attribute": "1"}]\';; esac; exit 0')
    result = module('mdev', uuid=U, state='defined')
    assert result['devices'][0]['attrs'] == [{'example-attribute': '1'}]
    assert ('10-attrs', 'get', 'attributes') in calls(x86)


# 4. attribute names


def test_attribute_names_mdevctl_accepts_are_read_and_written_alike(x86, module):
    mdevctl(x86, 'define', '-u', U2, '-p', 'mtty', '-t', 'mtty-1')
    mdevctl(x86, 'modify', '-u', U2, '--addattr=example-attribute', '--value=x')
    mdevctl(x86, 'modify', '-u', U2, '--addattr=Mixed.Case:1', '--value=y')
    attrs = [{'example-attribute': 'x'}, {'Mixed.Case:1': 'y'}]
    info = module('mdev_info', uuid=U2)
    assert info['problems'] == [] and info['devices'][0]['attrs'] == attrs
    module('mdev', uuid=U, state='defined', attrs=attrs, **MTTY)
    assert read(x86.path('etc/mdevctl.d/mtty', U)) == read(x86.path('etc/mdevctl.d/mtty', U2))


@pytest.mark.parametrize('name', ['../remove', 'a/b', '..', '.', 'a\nb', '', ' padded'])
def test_attribute_names_that_leave_the_device_directory_are_refused(x86, module, name):
    result = module('mdev', uuid=U, state='defined', attrs=[{name: '1'}], **MTTY)
    assert result['failed'] and 'attrs[0] name' in result['msg'], result
    assert not os.path.exists(x86.path('etc/mdevctl.d/mtty', U))


def test_a_definition_file_with_a_path_as_attribute_name_is_a_problem(x86, module):
    path = definition_file(x86, 'mtty', U, {'mdev_type': 'mtty-1', 'start': 'manual', 'attrs': [{'../remove': '1'}]})
    info = module('mdev_info')
    assert [p['path'] for p in info['problems']] == ['/etc/mdevctl.d/mtty/' + U] and info['devices'] == []
    assert module('mdev', uuid=U, state='started')['failed']
    assert json.loads(read(path))['attrs'] == [{'../remove': '1'}]


# 5. what running devices run with


def test_info_reports_the_running_matrix_and_the_definition(seed, module):
    mdevctl(seed, 'define', '-u', AP, '-p', 'matrix', '-t', 'vfio_ap-passthrough')
    mdevctl(seed, 'modify', '-u', AP, '--addattr=assign_adapter', '--value=5')
    mdevctl(seed, 'modify', '-u', AP, '--addattr=assign_domain', '--value=4')
    mdevctl(seed, 'start', '-u', AP)
    seed.write('0x42', 'sys/bus/mdev/devices', AP, 'assign_domain')  # changed by hand since
    (dev,) = module('mdev_info', uuid=AP)['devices']
    assert dev['attrs'] == [{'assign_adapter': '5'}, {'assign_domain': '4'}]
    assert dev['active_attrs'] == [{'assign_adapter': '0x5'}, {'assign_domain': '0x4'}, {'assign_domain': '0x42'}]
    assert dev['active_attrs_source'] == 'matrix'


def test_info_reports_what_the_get_callout_reads(x86, module):
    mdevctl(x86, 'start', '-u', U, '-p', 'mtty', '-t', 'mtty-1')
    mdevctl(x86, 'define', '-u', U2, '-p', 'mtty', '-t', 'mtty-1')
    callout(x86, '10-attrs', 'case "$4" in get) printf %s \'[{"ports": "1"}]\';; esac; exit 0')
    devices = dict((d['uuid'], d) for d in module('mdev_info')['devices'])
    assert devices[U]['active_attrs'] == [{'ports': '1'}] and devices[U]['active_attrs_source'] == 'callout'
    assert devices[U]['attrs'] == [] and not devices[U]['defined']
    assert 'active_attrs' not in devices[U2]  # not running
    os.remove(x86.path('etc/mdevctl.d/scripts.d/callouts/10-attrs'))
    devices = dict((d['uuid'], d) for d in module('mdev_info')['devices'])
    assert devices[U]['active_attrs'] is None and devices[U]['active_attrs_source'] is None


# 6. odd entries


def scenario_with(sim_factory, tmp_path, mdevs):
    with open(os.path.join(os.path.dirname(SIMHOST), 'scenarios', 'x86.yaml')) as f:
        scenario = yaml.safe_load(f)
    scenario['mdevs'] = mdevs
    path = str(tmp_path / 'odd.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump(scenario, f)
    return sim_factory(path)


def test_a_non_uuid_entry_in_the_mdev_bus_is_skipped_as_mdevctl_skips_it(sim_factory, tmp_path, module):
    sim = scenario_with(sim_factory, tmp_path, [{'uuid': 'not-a-uuid', 'parent': 'mtty', 'type': 'mtty-1'},
                                                {'uuid': U, 'parent': 'mtty', 'type': 'mtty-1'}])
    assert os.path.isdir(sim.path('sys/bus/mdev/devices/not-a-uuid'))
    info = module('mdev_info')
    assert [d['uuid'] for d in info['devices']] == [U]
    out = lines(mdevctl(sim, 'list'))
    assert "Can't determine uuid for file 'not-a-uuid'" in out[0]  # mdevctl warns (on stderr) and skips it
    assert info['list'] == out[1:] == ['%s mtty mtty-1 manual' % U]
    assert not module('mdev', uuid=U, state='started', persistent=False)['changed']


@pytest.mark.parametrize('value', [5, True, None, ['1'], {'a': '1'}])
def test_a_non_string_attribute_value_is_a_problem_and_never_rewritten(x86, module, value):
    text = json.dumps({'mdev_type': 'mtty-1', 'start': 'manual', 'attrs': [{'port': value}]}, indent=2)
    path = definition_file(x86, 'mtty', U, text=text)
    rc, out = mdevctl(x86, 'list', '-d', check=False)
    assert rc != 0  # mdevctl rejects the file too
    info = module('mdev_info')
    assert [p['path'] for p in info['problems']] == ['/etc/mdevctl.d/mtty/' + U]
    assert 'not a string' in info['problems'][0]['msg'] and info['devices'] == []
    for args in (dict(state='defined', autostart='auto'), dict(state='started'), dict(state='stopped', **MTTY)):
        result = module('mdev', uuid=U, **args)
        assert result['failed'] and 'fix or remove the file first' in result['msg']
    assert read(path) == text


# 7. count


def uuids_of(sim, parent):
    try:
        return sorted(os.listdir(sim.path('etc/mdevctl.d', parent)))
    except OSError:
        return []


def test_count_converges_and_keeps_its_uuids(x86, module):
    first = module('mdev', count=3, **MTTY)
    assert first['changed'] and len(uuids_of(x86, 'mtty')) == 3
    made = sorted(d['uuid'] for d in first['devices'])
    again = module('mdev', count=3, **MTTY)
    assert not again['changed'] and sorted(d['uuid'] for d in again['devices']) == made
    more = module('mdev', count=4, **MTTY)
    assert more['changed'] and set(made) < set(d['uuid'] for d in more['devices'])
    assert len(lines(mdevctl(x86, 'list'))) == 4


def test_count_with_exclusive_removes_the_newest(x86, module):
    mdevctl(x86, 'define', '-u', U, '-p', 'mtty', '-t', 'mtty-1')  # the oldest: kept
    os.utime(x86.path('etc/mdevctl.d/mtty', U), (1, 1))
    mdevctl(x86, 'define', '-u', U2, '-p', 'mtty', '-t', 'mtty-1')
    result = module('mdev', count=1, exclusive=True, state='defined', **MTTY)
    assert result['changed'] and uuids_of(x86, 'mtty') == [U]
    assert lines(mdevctl(x86, 'list', '-d')) == ['%s mtty mtty-1 manual' % U]
    assert not module('mdev', count=1, exclusive=True, state='defined', **MTTY)['changed']


def test_count_zero_with_exclusive_needs_allow_empty(x86, module):
    module('mdev', count=2, state='defined', **MTTY)
    refused = module('mdev', count=0, exclusive=True, **MTTY)
    assert refused['failed'] and 'allow_empty' in refused['msg'] and len(uuids_of(x86, 'mtty')) == 2
    assert module('mdev', count=0, exclusive=True, allow_empty=True, **MTTY)['changed']
    assert uuids_of(x86, 'mtty') == []


def test_an_anonymous_device_list_is_idempotent(x86, module):
    first = module('mdev', devices=[{}, {}, {}], **MTTY)
    assert first['changed'] and len(uuids_of(x86, 'mtty')) == 3
    again = module('mdev', devices=[{}, {}, {}], **MTTY)
    assert not again['changed'], again
    assert sorted(d['uuid'] for d in again['devices']) == sorted(d['uuid'] for d in first['devices'])
    fewer = module('mdev', devices=[{}, {}], **MTTY)
    assert fewer['failed'] and 'use count' in fewer['msg']


@pytest.mark.parametrize('args, msg', [(dict(count=2, uuid=U), 'mutually exclusive'),
                                       (dict(count=-1), 'non-negative'),
                                       (dict(count=2, state='absent'), 'count with state absent')])
def test_count_refusals(x86, module, args, msg):
    result = module('mdev', **dict(MTTY, **args))
    assert result['failed'] and msg in result['msg']


# 8. summary lines


def test_list_lines_are_exactly_what_mdevctl_prints(seed, module):
    mdevctl(seed, 'define', '-u', AP, '-p', 'matrix', '-t', 'vfio_ap-passthrough', '-a')
    mdevctl(seed, 'modify', '-u', AP, '--addattr=assign_adapter', '--value=5')
    mdevctl(seed, 'start', '-u', AP)
    mdevctl(seed, 'define', '-u', U, '-p', 'matrix', '-t', 'vfio_ap-passthrough')
    mdevctl(seed, 'start', '-u', U2, '-p', 'matrix', '-t', 'vfio_ap-passthrough')
    info = module('mdev_info')
    assert info['list'] == lines(mdevctl(seed, 'list'))
    assert info['list_defined'] == lines(mdevctl(seed, 'list', '-d'))
    assert sorted(info['summary']) == sorted([
        '%s matrix vfio_ap-passthrough auto (active)' % AP, '%s matrix vfio_ap-passthrough manual' % U,
        '%s matrix vfio_ap-passthrough manual' % U2])
    # report=lines: the same lines and nothing else, as a shell task running mdevctl would return them
    lean = module('mdev_info', report='lines')
    assert {k: lean[k] for k in ('summary', 'list', 'list_defined', 'problems')} == \
        {'summary': info['summary'], 'list': info['list'], 'list_defined': info['list_defined'], 'problems': []}
    assert 'devices' not in lean and 'types' not in lean and not lean['changed']


# 9. driverctl


def driverctl(sim, *args):
    path = shutil.which('driverctl') or '/usr/sbin/driverctl'
    os.makedirs(sim.path('usr/sbin'), exist_ok=True)
    shutil.copy2(path, sim.path('usr/sbin/driverctl'))
    return run_peer(sim, '/sbin/driverctl', *args)


def test_noprobe_unbinds_as_driverctl_does(x86, module):
    rc, out = driverctl(x86, '--noprobe', 'set-override', '0000:00:02.0', 'vfio-pci')
    assert rc == 0, out
    theirs = (x86.driver('pci', '0000:00:02.0'), x86.read('sys/bus/pci/devices/0000:00:02.0/driver_override'))
    assert theirs == (None, 'vfio-pci')
    # the GPU's audio function: its next probe would split group 12 with the GPU on nouveau, so knowingly
    result = module('driver_override', device='0000:01:00.1', driver='vfio-pci', probe=False, allow_split_group=True)
    assert result['changed'] and result['devices'][0]['driver'] is None
    assert (x86.driver('pci', '0000:01:00.1'), x86.read('sys/bus/pci/devices/0000:01:00.1/driver_override')) == theirs
    assert not module('driver_override', device='0000:01:00.1', driver='vfio-pci', probe=False)['changed']
    # unset without probing: driverctl unbinds the override's driver and leaves the device unbound
    module('driver_override', device='0000:00:03.0', driver='vfio-pci')
    unset = module('driver_override', device='0000:00:03.0', state='absent', probe=False)
    assert unset['changed'] and x86.driver('pci', '0000:00:03.0') is None


@pytest.mark.parametrize('device_class', ['display', 'network', 'bridge', 'storage'])
def test_class_filter_lists_what_driverctl_list_devices_lists(x86, module, device_class):
    rc, out = driverctl(x86, 'list-devices', device_class)
    theirs = sorted(line.split()[0] for line in out.splitlines() if rc == 0 and not line.startswith('driverctl:'))
    info = module('driver_override_info', bus=['pci'], **{'class': device_class})
    assert sorted(d['device'] for d in info['devices']) == theirs


def test_names_come_from_pci_ids(x86, module):
    ids = x86.path('usr/share/misc/pci.ids')
    os.makedirs(os.path.dirname(ids), exist_ok=True)
    with open(ids, 'w') as f:
        f.write('# test\n8086  Intel Corporation\n\t10d3  82574L Gigabit Network Connection\n'
                '\t\t8086 a01f  Gigabit CT Desktop Adapter\n10de  NVIDIA Corporation\n'
                'C 02  Network controller\n')
    info = module('driver_override_info', bus=['pci'], names=True, devices=['00:02.0', '01:00.0'])
    got = dict((d['device'], (d['vendor_name'], d['device_name'])) for d in info['devices'])
    assert got == {'0000:00:02.0': ('Intel Corporation', '82574L Gigabit Network Connection'),
                   '0000:01:00.0': ('NVIDIA Corporation', None)}
    assert '0000:00:02.0 e1000e (82574L Gigabit Network Connection)' in [
        ' '.join(line.split()[1:]) for line in info['summary']]
    plain = module('driver_override_info', bus=['pci'], devices=['00:02.0'])
    assert 'vendor_name' not in plain['devices'][0]


def test_the_bus_slash_device_form_is_accepted(x86, module):
    result = module('driver_override', device='pci/0000:00:03.0', driver='vfio-pci', bus='css')
    assert result['changed'] and result['devices'][0]['bus'] == 'pci' and result['devices'][0]['device'] == '0000:00:03.0'
    rc, out = driverctl(x86, 'list-overrides')
    assert '0000:00:03.0 vfio-pci' in out.splitlines()
    info = module('driver_override_info', devices=['pci/0000:00:03.0'])
    assert [d['device'] for d in info['devices']] == ['0000:00:03.0']
    bad = module('driver_override', device='pci/../x', driver='vfio-pci')
    assert bad['failed']
