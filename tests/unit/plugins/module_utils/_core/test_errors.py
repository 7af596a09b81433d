"""Typed errors: errno names, the ``fail_json`` keys an error gives, and notes added to its message."""

import errno

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core import errors
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import VfioError, errno_name


def test_errno_name_gives_the_symbolic_name_the_number_when_unknown_and_none_for_none():
    assert errno_name(errno.EBUSY) == 'EBUSY'
    assert errno_name(errno.ENODEV) == 'ENODEV'
    assert errno_name(99999) == '99999'
    assert errno_name(None) is None


def test_result_has_only_the_keys_that_are_set():
    assert VfioError('no such bus').result() == {'msg': 'no such bus'}


def test_result_names_the_errno_and_carries_path_value_device_and_extra_keys():
    exc = errors.SysfsError('write failed', path='/sys/bus/css/drivers_probe', value='0.0.0313',
                            errno=errno.ENODEV, device='0.0.0313', attribute='bind')
    assert exc.result() == {'msg': 'write failed', 'path': '/sys/bus/css/drivers_probe', 'value': '0.0.0313',
                            'device': '0.0.0313', 'errno': 'ENODEV', 'attribute': 'bind'}
    assert exc.errno == errno.ENODEV and exc.extra == {'attribute': 'bind'}


def test_add_note_extends_the_message_str_and_result():
    exc = errors.BindError('did not bind')
    exc.add_note('the previous state was restored')
    exc.add_note('undone: css/0.0.0313')
    expected = 'did not bind; the previous state was restored; undone: css/0.0.0313'
    assert exc.msg == expected and str(exc) == expected and exc.result()['msg'] == expected


@pytest.mark.parametrize('name', ['InvalidArgument', 'NotFound', 'SysfsError', 'BindError', 'ConfigError',
                                  'LockError', 'CalloutError', 'ConflictError'])
def test_every_typed_error_is_a_vfio_error_a_module_can_catch_once(name):
    cls = getattr(errors, name)
    with pytest.raises(VfioError) as exc:
        raise cls('refused', path='/etc/x')
    assert exc.value.__class__ is cls and exc.value.result() == {'msg': 'refused', 'path': '/etc/x'}
