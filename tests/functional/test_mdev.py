"""The mdev module's behaviour beyond the seed: refusals, rollback, live, exclusive, bad input."""

import json
import os

import pytest

from support.ap import persist_masks

AP = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
AP2 = '5ea6c8d9-52c5-4a37-9d0b-dd5e7b6d2b9c'
CCW = '7e270a25-e163-4922-af60-757fc8ed48c6'
MATRIX = dict(parent='matrix', type='vfio_ap-passthrough')


def bind_vfio_ccw(module, *subchannels):
    module('driver_override', bus='css', driver='vfio_ccw', devices=[{'device': s} for s in subchannels])


def test_start_whose_third_attribute_is_refused_leaves_nothing(seed, module):
    attrs = [{'assign_domain': '0x10'}, {'assign_domain': '4'}, {'assign_adapter': '3'}]
    refused = module('mdev', uuid=AP, attrs=attrs, **MATRIX)
    assert refused['failed'] and 'reserved for the host' in refused['msg'] and seed.writes() == []
    result = module('mdev', uuid=AP, attrs=attrs, validate=False, **MATRIX)  # let the kernel refuse it
    assert result['failed']
    msg = result['msg']
    assert 'assign_adapter' in msg and "'3'" in msg and 'EADDRNOTAVAIL' in msg and 'removed again' in msg
    assert result['attribute'] == 'assign_adapter' and result['errno'] == 'EADDRNOTAVAIL'
    assert not os.path.exists(seed.path('sys/bus/mdev/devices', AP))
    assert not os.path.exists(seed.path('etc/mdevctl.d/matrix', AP))  # the definition was undone too


def test_no_instances_left_is_refused_before_anything_is_written(seed, module):
    bind_vfio_ccw(module, '0.0.0313')
    assert module('mdev', uuid=CCW, parent='0.0.0313', type='vfio_ccw-io')['changed']
    seed.clear_log()
    result = module('mdev', uuid=AP2, parent='0.0.0313', type='vfio_ccw-io')
    assert result['failed'] and 'has 0 instance(s) left' in result['msg']
    assert seed.writes() == []


def test_vfio_ccw_type_exists_only_while_bound(seed, module):
    result = module('mdev', uuid=CCW, parent='0.0.0313', type='vfio_ccw-io')
    assert result['failed'] and result['msg'].startswith(
        'mdev parent 0.0.0313 is not registered: css device 0.0.0313 is there, but its driver is io_subchannel')
    assert 'bind it first with vfio.passthrough.driver_override' in result['msg']


def test_uuid_under_another_parent_or_type_is_refused(seed, module):
    module('mdev', uuid=AP, **MATRIX)
    bind_vfio_ccw(module, '0.0.0313')
    result = module('mdev', uuid=AP, parent='0.0.0313', type='vfio_ccw-io')
    assert result['failed'] and 'already exists as type vfio_ap-passthrough on parent matrix' in result['msg']


@pytest.mark.parametrize('parent, hint', [('Matrix', 'did you mean matrix?'), ('matrx', 'did you mean matrix?')])
def test_missing_parent_suggests_the_closest(seed, module, parent, hint):
    result = module('mdev', uuid=AP, parent=parent, type='vfio_ap-passthrough')
    assert result['failed'] and hint in result['msg']


def test_missing_type_lists_what_the_parent_offers(seed, module):
    result = module('mdev', uuid=AP, parent='matrix', type='vfio_ap-nope')
    assert result['failed'] and 'it offers vfio_ap-passthrough' in result['msg']


def test_live_changes_a_running_device_and_its_definition(seed, module):
    module('mdev', uuid=AP, attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}], **MATRIX)
    assert seed.read('sys/bus/mdev/devices', AP, 'matrix') == '05.0004'
    quiet = module('mdev', uuid=AP, attrs=[{'assign_adapter': '5'}, {'assign_domain': '0x42'}], **MATRIX)
    assert quiet['changed'] and any('use live: true' in w for w in quiet['warnings'])
    assert seed.read('sys/bus/mdev/devices', AP, 'matrix') == '05.0004'
    live = module('mdev', uuid=AP, live=True, attrs=[{'assign_adapter': '5'}, {'assign_domain': '0xab'}], **MATRIX)
    assert live['changed'] and 'change the running device' in live['devices'][0]['actions']
    assert seed.read('sys/bus/mdev/devices', AP, 'matrix') == '05.00ab'
    with open(seed.path('etc/mdevctl.d/matrix', AP)) as f:
        assert json.load(f)['attrs'] == [{'assign_adapter': '5'}, {'assign_domain': '0xab'}]


def test_without_uuid_one_is_generated_and_found_again(x86, module):
    first = module('mdev', parent='mtty', type='mtty-2', attrs=[])
    assert first['changed'] and first['uuid']
    again = module('mdev', parent='mtty', type='mtty-2', attrs=[])
    assert not again['changed'] and again['uuid'] == first['uuid']
    assert x86.read('sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2/available_instances') == '11'


def test_many_devices_and_exclusive(seed, module):
    module('mdev', uuid=AP, attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}], **MATRIX)
    result = module('mdev', exclusive=True, devices=[
        dict(uuid=AP2, attrs=[{'assign_adapter': '5'}, {'assign_domain': '0xab'}], **MATRIX)])
    assert result['changed']
    states = dict((d['uuid'], (d['defined'], d['active'])) for d in result['devices'])
    assert states == {AP2: (True, True), AP: (False, False)}
    assert os.listdir(seed.path('etc/mdevctl.d/matrix')) == [AP2]


def test_stopped_keeps_definition_and_absent_removes_it(seed, module):
    module('mdev', uuid=AP, autostart='auto', **MATRIX)
    stopped = module('mdev', uuid=AP, state='stopped')
    assert stopped['devices'][0]['defined'] and not stopped['devices'][0]['active']
    absent = module('mdev', uuid=AP, state='absent')
    assert absent['changed'] and not absent['devices'][0]['defined']
    assert not module('mdev', uuid=AP, state='absent')['changed']


def test_unknown_keys_are_kept(seed, module):
    path = seed.path('etc/mdevctl.d/matrix', AP)
    os.makedirs(os.path.dirname(path))
    with open(path, 'w') as f:
        json.dump({'mdev_type': 'vfio_ap-passthrough', 'start': 'manual', 'attrs': [], 'comment': 'keep me'}, f)
    module('mdev', uuid=AP, state='defined', autostart='auto')
    with open(path) as f:
        data = json.load(f)
    assert data['start'] == 'auto' and data['comment'] == 'keep me'
    assert oct(os.stat(path).st_mode & 0o777) == '0o644'


def test_broken_definition_is_reported_not_fatal(seed, module):
    path = seed.path('etc/mdevctl.d/matrix', AP)
    os.makedirs(os.path.dirname(path))
    with open(path, 'w') as f:
        f.write('{"mdev_type": ')
    info = module('mdev_info')
    assert not info.get('failed') and info['problems'][0]['uuid'] == AP and 'not valid JSON' in info['problems'][0]['msg']
    result = module('mdev', uuid=AP, state='started', **MATRIX)
    assert result['failed'] and 'fix or remove the file first' in result['msg']
    with open(path) as f:
        assert f.read() == '{"mdev_type": '


def test_check_mode_and_diff(seed, playbook):
    run = playbook([{'vfio.passthrough.mdev': dict(uuid=AP, attrs=[{'assign_adapter': '5'}], **MATRIX)}],
                   check=True, diff=True)
    assert run.rc == 0 and run.changed == 1
    assert '+definition: {' in run.stdout and '-active: no' in run.stdout and '+active: yes' in run.stdout
    assert run[0]['devices'][0]['active'] is True
    assert seed.writes() == [] and not os.path.exists(seed.path('etc/mdevctl.d/matrix'))


@pytest.mark.parametrize('args, words', [
    (dict(uuid='not-a-uuid', **MATRIX), 'is not a UUID'),
    (dict(uuid=AP, parent='../matrix', type='vfio_ap-passthrough'), 'parent'),
    (dict(uuid=AP, parent='matrix', type='vfio_ap/passthrough'), 'type'),
    (dict(uuid=AP, attrs=[{'../remove': '1'}], **MATRIX), 'attrs[0] name'),
    (dict(uuid=AP, attrs=[{'assign_adapter': '5', 'assign_domain': '4'}], **MATRIX), 'exactly one key'),
    (dict(uuid=AP, attrs=[{'assign_adapter': ['5']}], **MATRIX), 'must be a string or an integer'),
    (dict(parent='matrix'), 'parent and type are required'),
    (dict(uuid=AP, state='defined', attrs_delete_index=3, **MATRIX), 'out of range'),
])
def test_bad_input_fails_clearly_and_writes_nothing(seed, module, args, words):
    result = module('mdev', **args)
    assert result['failed'] and words in result['msg'], result['msg']
    assert 'module_stderr' not in result
    assert seed.writes() == [] and not os.path.exists(seed.path('etc/mdevctl.d'))


def test_info_types_and_filters(x86, module):
    module('mdev', uuid=AP, parent='mtty', type='mtty-1')
    module('mdev', uuid=AP2, parent='mtty', type='mtty-2', state='defined')
    info = module('mdev_info')
    assert info['types'] == {'mtty': {
        'mtty-1': {'name': 'Single port serial', 'device_api': 'vfio-pci', 'available_instances': 23, 'description': None},
        'mtty-2': {'name': 'Dual port serial', 'device_api': 'vfio-pci', 'available_instances': 11, 'description': None}}}
    assert [(d['uuid'], d['active'], d['defined']) for d in info['devices']] == [(AP2, False, True), (AP, True, True)]
    only = module('mdev_info', type='mtty-2')
    assert [d['uuid'] for d in only['devices']] == [AP2] and list(only['types']['mtty']) == ['mtty-2']
    assert module('mdev_info', parent='nothing')['devices'] == []


def test_conflicting_apqn_refused_before_activation_also_in_check_mode(seed, module, playbook):
    persist_masks(seed)
    module('mdev', uuid=AP, autostart='auto', attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}], **MATRIX)
    seed.clear_log()
    second = dict(uuid=AP2, autostart='auto', attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}], **MATRIX)
    run = playbook([{'vfio.passthrough.mdev': dict(second, state='defined')}], check=True)
    assert run[0]['failed'] and 'APQN 05.0004 is assigned to both mdev' in run[0]['msg']
    assert AP in run[0]['msg'] and AP2 in run[0]['msg'] and run[0]['conflicts'][0]['kind'] == 'apqn_in_use'
    refused = module('mdev', **second)
    assert refused['failed'] and 'refused' in refused['msg']
    assert seed.writes() == [] and not os.path.exists(seed.path('etc/mdevctl.d/matrix', AP2))
    manual = module('mdev', **dict(second, autostart='manual', state='defined'))
    assert manual['changed']  # defined but never started together: no conflict


def test_second_vfio_ccw_device_on_a_subchannel_is_a_conflict(seed, module):
    bind_vfio_ccw(module, '0.0.0313')
    module('mdev', uuid=CCW, parent='0.0.0313', type='vfio_ccw-io', autostart='auto')
    module('mdev', uuid=CCW, state='stopped')
    result = module('mdev', uuid=AP2, parent='0.0.0313', type='vfio_ccw-io', autostart='auto', state='defined')
    assert result['failed'] and 'the parent holds 1' in result['msg']


def test_validate_module_reports_the_whole_host(seed, module):
    persist_masks(seed)
    module('mdev', uuid=AP, autostart='auto', attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}], **MATRIX)
    clean = module('mdev_validate')
    assert clean['valid'] and clean['devices_checked'] == 1 and not clean['changed']
    path = seed.path('etc/mdevctl.d/matrix', AP2)
    with open(path, 'w') as f:  # written by another tool, behind the collection's back
        json.dump({'mdev_type': 'vfio_ap-passthrough', 'start': 'auto',
                   'attrs': [{'assign_adapter': '5'}, {'assign_domain': '4'}, {'assign_domain': '0x10'}]}, f)
    report = module('mdev_validate')
    assert not report['valid']
    assert sorted(c['kind'] for c in report['conflicts']) == ['apqn_in_use']
    failing = module('mdev_validate', fail_on_conflict=True)
    assert failing['failed'] and '1 conflict(s)' in failing['msg']


def test_matrix_shorthand(seed, module):
    result = module('mdev', uuid=AP, matrix={'adapters': [5], 'domains': [4, '0xab'], 'control_domains': [4]}, **MATRIX)
    assert result['devices'][0]['attrs'] == [{'assign_adapter': '0x5'}, {'assign_domain': '0x4'},
                                             {'assign_domain': '0xab'}, {'assign_control_domain': '0x4'}]
    assert seed.read('sys/bus/mdev/devices', AP, 'matrix').split() == ['05.0004', '05.00ab']


def test_review_findings_hold(seed, module):
    # octal values, as the kernel reads them: '05' is adapter 5, so a live run changes nothing
    module('mdev', uuid=AP, attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}], **MATRIX)
    same = module('mdev', uuid=AP, live=True, attrs=[{'assign_adapter': '05'}, {'assign_domain': '4'}], **MATRIX)
    assert seed.read('sys/bus/mdev/devices', AP, 'matrix') == '05.0004', same
    # an undecodable definition is a problem, not a traceback; absent removes it on request
    with open(seed.path('etc/mdevctl.d/matrix', AP2), 'wb') as f:
        f.write(b'\xff\xfe')
    info = module('mdev_info')
    assert not info.get('failed') and 'not UTF-8' in info['problems'][0]['msg']
    gone = module('mdev', uuid=AP2, state='absent')
    assert gone['changed'] and not os.path.exists(seed.path('etc/mdevctl.d/matrix', AP2))
    # a definition filed under an uppercase name is found, rewritten and removed under that name
    upper = seed.path('etc/mdevctl.d/matrix', AP2.upper())
    with open(upper, 'w') as f:
        json.dump({'mdev_type': 'vfio_ap-passthrough', 'start': 'manual', 'attrs': []}, f)
    assert module('mdev', uuid=AP2, state='defined', autostart='auto')['changed']
    assert module('mdev', uuid=AP2, state='absent')['changed'] and not os.path.exists(upper)
    assert not module('mdev', uuid=AP2, state='absent')['changed']
    # a symlinked parent directory is never written through
    os.symlink(seed.path('tmp-outside'), seed.path('etc/mdevctl.d/lnk'))
    os.makedirs(seed.path('tmp-outside'))
    linked = module('mdev', uuid=AP2, parent='lnk', type='x', state='defined')
    assert linked['failed'] and 'symbolic link' in linked['msg'] and os.listdir(seed.path('tmp-outside')) == []


def test_failed_save_restores_the_binding(seed, module):
    with open(seed.path('etc/driverctl.d'), 'w') as f:
        f.write('not a directory')
    result = module('driver_override', bus='css', device='0.0.0314', driver='vfio_ccw')
    assert result['failed']
    assert seed.driver('css', '0.0.0314') == 'io_subchannel'
    assert seed.read('sys/bus/css/devices/0.0.0314/driver_override') == '(null)'


def test_exclusive_replaces_the_vfio_ccw_device_of_a_subchannel(seed, module):
    bind_vfio_ccw(module, '0.0.0313')
    module('mdev', uuid=CCW, parent='0.0.0313', type='vfio_ccw-io', autostart='auto')
    result = module('mdev', type='vfio_ccw-io', autostart='auto', exclusive=True,
                    devices=[dict(uuid=AP2, parent='0.0.0313')])
    assert result['changed'], result.get('msg')
    assert [(d['uuid'], d['active']) for d in result['devices']] == [(CCW, False), (AP2, True)]
    assert os.listdir(seed.path('etc/mdevctl.d/0.0.0313')) == [AP2]


def test_info_summary_lines(seed, module):
    module('mdev', uuid=AP, attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}], **MATRIX)
    assert module('mdev_info')['summary'] == [
        '%s matrix vfio_ap-passthrough manual (active)' % AP]  # exactly as mdevctl list -d prints it
    module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw')
    lines = module('driver_override_info', bus=['css'])['summary']
    assert 'css 0.0.0313 vfio_ccw [*]' in lines and 'css 0.0.0314 io_subchannel' in lines


@pytest.mark.parametrize('content, kind', [
    ('{"mdev_type": "vfio_ap-passthrough", "start": "manual"}', 'no attrs (older mdevctl)'),
    ('[1, 2]', 'not an object'),
    (None, 'directory'),
    ('symlink', 'symlink'),
])
def test_odd_definition_files(seed, module, content, kind):
    path = seed.path('etc/mdevctl.d/matrix', AP)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if content is None:
        os.makedirs(path)
    elif content == 'symlink':
        with open(seed.path('elsewhere.json'), 'w') as f:
            json.dump({'mdev_type': 'vfio_ap-passthrough', 'start': 'auto', 'attrs': []}, f)
        os.symlink(seed.path('elsewhere.json'), path)
    else:
        with open(path, 'w') as f:
            f.write(content)
    info = module('mdev_info')
    assert not info.get('failed')
    if kind == 'no attrs (older mdevctl)':
        assert info['devices'][0]['attrs'] == [] and info['problems'] == []
        return
    assert info['problems'] and info['problems'][0]['uuid'] == AP
    result = module('mdev', uuid=AP, state='defined', autostart='auto', **MATRIX)
    assert result['failed'] and 'fix or remove the file first' in result['msg']
    assert os.path.isdir(path) if content is None else True
    if content == 'symlink':
        assert os.path.islink(path) and json.load(open(seed.path('elsewhere.json')))['start'] == 'auto'
