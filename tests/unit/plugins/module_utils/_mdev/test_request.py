"""MdevRequest: what a task asks for, validated before anything is read; attribute edits and AP matrices."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.request import MdevRequest, matrix_attrs

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
AP = dict(parent='matrix', mdev_type='vfio_ap-passthrough')
BASE = [('assign_adapter', '5'), ('assign_domain', '4')]


def refusal(**args):
    """The InvalidArgument an MdevRequest with ``args`` raises."""
    with pytest.raises(InvalidArgument) as exc:
        MdevRequest(**args)
    return exc.value


def test_defaults_and_canonical_names():
    req = MdevRequest(uuid=UUID.upper())
    assert req.uuid == UUID and req.parent is None and req.mdev_type is None
    assert (req.state, req.autostart, req.persistent, req.live, req.force) == ('started', None, True, False, False)
    assert req.attrs is None and req.attrs_add == []


def test_attrs_and_attrs_add_are_normalised_to_name_value_pairs():
    req = MdevRequest(uuid=UUID, attrs=[{'assign_adapter': 5}], attrs_add=[{'assign_domain': '0x4'}], persistent=0)
    assert req.attrs == [('assign_adapter', '5')] and req.attrs_add == [('assign_domain', '0x4')]
    assert req.persistent is False


def test_a_matrix_becomes_assign_attrs_in_hex_adapters_then_domains_then_control_domains():
    req = MdevRequest(matrix={'control_domains': [0xab], 'domains': [4, '0x42'], 'adapters': [5]}, **AP)
    assert req.attrs == [('assign_adapter', '0x5'), ('assign_domain', '0x4'), ('assign_domain', '0x42'),
                         ('assign_control_domain', '0xab')]


@pytest.mark.parametrize('args, message', [
    (dict(uuid=UUID, attrs=[], matrix={}), 'give either attrs or matrix, not both'),
    (dict(uuid=UUID, autostart='always'), "autostart must be auto or manual, not 'always'"),
    (dict(uuid=UUID, state='running'), "state must be one of defined, started, stopped, absent, not 'running'"),
    (dict(uuid=UUID, attrs_delete_index=-1), 'attrs_delete_index must be a non-negative integer, not -1'),
    (dict(uuid=UUID, attrs_add_index=True), 'attrs_add_index must be a non-negative integer, not True'),
    (dict(uuid=UUID, attrs_add_index='1'), "attrs_add_index must be a non-negative integer, not '1'"),
    (dict(parent='matrix'), 'without uuid, parent and type are required'),
    (dict(mdev_type='vfio_ap-passthrough'), 'without uuid, parent and type are required'),
    (dict(uuid='669d9b23'), "uuid '669d9b23' is not a UUID"),
    (dict(uuid=UUID, parent='../matrix'), "parent '../matrix' is not a valid name"),
])
def test_invalid_requests_are_refused(args, message):
    assert refusal(**args).msg.startswith(message)


def test_absent_needs_neither_uuid_nor_type():
    assert MdevRequest(parent='matrix', state='absent').state == 'absent'


def test_edited_attrs_start_from_the_request_or_the_base():
    assert MdevRequest(uuid=UUID).edited_attrs(BASE, UUID) == BASE
    assert MdevRequest(uuid=UUID, attrs=[]).edited_attrs(BASE, UUID) == []


def test_edited_attrs_delete_then_add_at_an_index_or_the_end():
    add = [{'assign_domain': '0x42'}]
    assert MdevRequest(uuid=UUID, attrs_delete_index=0).edited_attrs(BASE, UUID) == [('assign_domain', '4')]
    assert MdevRequest(uuid=UUID, attrs_add=add).edited_attrs(BASE, UUID) == BASE + [('assign_domain', '0x42')]
    assert MdevRequest(uuid=UUID, attrs_delete_index=1, attrs_add=add, attrs_add_index=0).edited_attrs(BASE, UUID) == [
        ('assign_domain', '0x42'), ('assign_adapter', '5')]
    assert BASE == [('assign_adapter', '5'), ('assign_domain', '4')]


def test_edited_attrs_indexes_out_of_range_are_refused():
    with pytest.raises(InvalidArgument) as exc:
        MdevRequest(uuid=UUID, attrs_delete_index=2).edited_attrs(BASE, UUID)
    assert exc.value.msg == 'mdev %s: attrs_delete_index 2 is out of range (the device has 2 attributes)' % UUID
    with pytest.raises(InvalidArgument) as exc:
        MdevRequest(uuid=UUID, attrs_add=[{'a': '1'}], attrs_add_index=3).edited_attrs(BASE, UUID)
    assert exc.value.msg == 'mdev %s: attrs_add_index 3 is out of range (the device has 2 attributes)' % UUID


@pytest.mark.parametrize('matrix, message', [
    ([5], 'matrix must be a mapping with adapters, domains and control_domains lists'),
    ({'queues': [5]}, 'matrix must be a mapping with adapters, domains and control_domains lists'),
    ({'adapters': 5}, 'matrix adapters must be a list, got 5'),
    ({'domains': [True]}, 'matrix domains: True is not a number'),
    ({'adapters': [1.5]}, 'matrix adapters: 1.5 is not a number'),
])
def test_matrix_attrs_refuses_what_is_not_a_matrix(matrix, message):
    with pytest.raises(InvalidArgument) as exc:
        matrix_attrs(matrix)
    assert exc.value.msg.startswith(message) and exc.value.extra == {'field': 'matrix'}


def test_matrix_attrs_of_an_empty_matrix_is_empty():
    assert matrix_attrs({}) == [] and matrix_attrs({'adapters': None}) == []
