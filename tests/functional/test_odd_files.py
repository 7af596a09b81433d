"""Odd files in /etc/mdevctl.d and /etc/driverctl.d: one of them is reported, never fatal for the rest.

A file nested too deeply to parse, a directory whose name is not UTF-8, a symlinked or undecodable
override: each is a problem that names its path (printable, so that Ansible can return it), the
other files are listed as usual, and ``state: absent`` removes an unreadable definition.
"""

import json
import os

import pytest

from support.ap import persist_masks

AP = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
AP2 = '5ea6c8d9-52c5-4a37-9d0b-dd5e7b6d2b9c'
MATRIX = dict(parent='matrix', type='vfio_ap-passthrough')
GUEST = [{'assign_adapter': '5'}, {'assign_domain': '4'}]


def printable(result):
    """The result as Ansible returns it: JSON that encodes to UTF-8 (no lone surrogates)."""
    text = json.dumps(result, ensure_ascii=False, default=dict)  # pytest-ansible's results are UserDicts
    text.encode('utf-8')
    return text


def no_traceback(result):
    assert 'module_stderr' not in result and 'Traceback' not in printable(result), result
    return result


def test_a_deeply_nested_definition_is_a_problem_naming_the_file(seed, module):
    persist_masks(seed)
    assert module('mdev', uuid=AP2, state='defined', attrs=GUEST, **MATRIX)['changed']
    path = seed.path('etc/mdevctl.d/matrix', AP)
    with open(path, 'w') as f:
        f.write('[' * 100000)
    shown = '/etc/mdevctl.d/matrix/' + AP
    info = no_traceback(module('mdev_info'))
    assert not info.get('failed') and [d['uuid'] for d in info['devices']] == [AP2]
    (problem,) = info['problems']
    assert problem['uuid'] == AP and problem['path'] == shown
    assert problem['msg'].startswith(shown + ' is nested too deeply')
    report = no_traceback(module('mdev_validate'))
    assert not report.get('failed') and report['unknown'] == 1 and not report['valid']
    refused = no_traceback(module('mdev', uuid=AP, state='started', **MATRIX))
    assert refused['failed'] and shown in refused['msg'] and 'fix or remove the file first' in refused['msg']
    other = no_traceback(module('mdev', uuid=AP2, state='defined', autostart='auto'))
    assert other['changed'] and not other.get('failed')  # the other definitions still work
    gone = no_traceback(module('mdev', uuid=AP, state='absent'))
    assert gone['changed'] and not gone.get('failed') and not os.path.exists(path)
    assert module('mdev_info')['problems'] == []


def test_a_definition_under_a_non_utf8_directory_is_a_problem(seed, module):
    assert module('mdev', uuid=AP2, state='defined', attrs=GUEST, **MATRIX)['changed']
    odd = os.fsencode(seed.path('etc/mdevctl.d')) + b'/matrix\xff'
    os.mkdir(odd)
    with open(odd + b'/' + AP.encode(), 'w') as f:
        json.dump({'mdev_type': 'vfio_ap-passthrough', 'start': 'auto', 'attrs': []}, f)
    shown = '/etc/mdevctl.d/matrix\\xff/' + AP
    info = no_traceback(module('mdev_info'))
    assert not info.get('failed') and [d['uuid'] for d in info['devices']] == [AP2]
    (problem,) = info['problems']
    assert problem['uuid'] == AP and problem['path'] == shown and problem['parent'] == 'matrix\\xff'
    assert problem['msg'].startswith(shown + ': the directory name matrix\\xff is not UTF-8')
    report = no_traceback(module('mdev_validate'))
    assert report['unknown'] == 1 and report['problems'] == [problem] and not report['valid']
    gone = no_traceback(module('mdev', uuid=AP, state='absent'))
    assert gone['changed'] and not gone.get('failed'), gone
    assert os.listdir(odd) == [] and gone['devices'][0]['actions'] == ['remove unreadable ' + shown]
    assert not no_traceback(module('mdev', uuid=AP, state='absent'))['changed']
    assert module('mdev_info')['problems'] == []
    assert os.path.exists(seed.path('etc/mdevctl.d/matrix', AP2))


def test_validate_counts_a_definition_it_cannot_parse_as_unknown_never_valid(seed, module):
    persist_masks(seed)
    assert module('mdev', uuid=AP2, autostart='auto', attrs=GUEST, **MATRIX)['changed']
    assert module('mdev_validate')['valid']
    # mdevctl follows the link and autostarts this device, with the same APQN; the collection cannot check it
    with open(seed.path('elsewhere.json'), 'w') as f:
        json.dump({'mdev_type': 'vfio_ap-passthrough', 'start': 'auto', 'attrs': GUEST}, f)
    os.symlink(seed.path('elsewhere.json'), seed.path('etc/mdevctl.d/matrix', AP))
    shown = '/etc/mdevctl.d/matrix/' + AP
    report = no_traceback(module('mdev_validate'))
    assert not report.get('failed') and not report['valid'] and report['conflicts'] == []
    assert report['unknown'] == 1 and report['devices_checked'] == 1
    assert [(p['uuid'], p['path']) for p in report['problems']] == [(AP, shown)]
    failing = no_traceback(module('mdev_validate', fail_on_conflict=True))
    assert failing['failed'] and '1 definition(s) that cannot be checked' in failing['msg'] and shown in failing['msg']


def odd_override(seed, kind):
    """``/etc/driverctl.d/css-0.0.0313`` (or a non-UTF-8 name) as another tool or a mistake left it."""
    os.makedirs(seed.path('etc/driverctl.d'), exist_ok=True)
    with open(seed.path('etc/driverctl.d/pci-0000:01:00.0'), 'w') as f:
        f.write('vfio-pci\n')
    path = seed.path('etc/driverctl.d/css-0.0.0313')
    if kind == 'symlink':
        with open(seed.path('elsewhere'), 'w') as f:
            f.write('vfio_ccw\n')
        os.symlink(seed.path('elsewhere'), path)
        return '/etc/driverctl.d/css-0.0.0313', 'is not a regular file'
    if kind == 'not UTF-8':
        with open(path, 'wb') as f:
            f.write(b'vfio_\xff\n')
        return '/etc/driverctl.d/css-0.0.0313', 'is not UTF-8 text'
    with open(os.fsencode(seed.path('etc/driverctl.d')) + b'/css-0.0.03\xff', 'w') as f:
        f.write('vfio_ccw\n')
    return '/etc/driverctl.d/css-0.0.03\\xff', 'the file name is not UTF-8'


@pytest.mark.parametrize('kind', ['symlink', 'not UTF-8', 'name not UTF-8'])
def test_one_odd_override_file_is_reported_and_the_rest_listed(seed, module, kind):
    shown, words = odd_override(seed, kind)
    for args in ({}, {'bus': ['css']}):
        info = no_traceback(module('driver_override_info', **args))
        assert not info.get('failed'), info['msg']
        assert info['persisted'] == [{'bus': 'pci', 'device': '0000:01:00.0', 'driver': 'vfio-pci'}]
        assert 'css 0.0.0314 io_subchannel' in info['summary']
        (problem,) = info['problems']
        assert problem['path'] == shown and problem['msg'].startswith(shown) and words in problem['msg'], problem
    result = no_traceback(module('driver_override', bus='css', device='0.0.0314', driver='vfio_ccw'))
    assert result['changed'] and not result.get('failed') and seed.driver('css', '0.0.0314') == 'vfio_ccw'
    info = module('driver_override_info', bus=['css'])
    assert {'bus': 'css', 'device': '0.0.0314', 'driver': 'vfio_ccw'} in info['persisted']
    assert [p['path'] for p in info['problems']] == [shown]


def test_an_odd_override_file_of_the_device_itself_fails_naming_it(seed, module):
    shown, words = odd_override(seed, 'symlink')
    result = no_traceback(module('driver_override', bus='css', device='0.0.0313', driver='vfio_ccw'))
    assert result['failed'] and result['msg'].startswith(shown) and words in result['msg']
    assert seed.driver('css', '0.0.0313') == 'io_subchannel'
