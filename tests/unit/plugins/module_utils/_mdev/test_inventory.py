"""list_mdevs merges running and defined mdevs of the seed host; summary_line prints one as mdevctl does."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.config import ConfigStore, Definition
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev import inventory
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.inventory import list_mdevs, report, summary_line

RUNNING = '11111111-1111-4111-8111-111111111111'
BOTH = '22222222-2222-4222-8222-222222222222'
DEFINED = '33333333-3333-4333-8333-333333333333'
AP_TYPE = 'vfio_ap-passthrough'
CREATE = 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create'


def entry(uuid, start, attrs, defined, active, active_attrs=None):
    out = {'uuid': uuid, 'parent': 'matrix', 'mdev_type': AP_TYPE, 'start': start, 'attrs': attrs,
           'defined': defined, 'active': active}
    if active:  # what the running device runs with: here the vfio_ap matrix the kernel shows
        out.update(active_attrs=active_attrs or [], active_attrs_source='matrix')
    return out


@pytest.fixture
def three(seed):
    """One mdev running only, one defined and running, one defined only."""
    store = ConfigStore(Host())
    store.write(Definition(BOTH, 'matrix', AP_TYPE, 'auto', [('assign_adapter', '5'), ('assign_domain', '4')]))
    store.write(Definition(DEFINED, 'matrix', AP_TYPE))
    seed.write(RUNNING, CREATE)
    seed.write(BOTH, CREATE)
    return seed


def test_running_and_defined_devices_are_merged_per_uuid(three):
    devices, types, problems = list_mdevs(Host())
    assert devices == [
        entry(RUNNING, None, [], False, True),
        entry(BOTH, 'auto', [{'assign_adapter': '5'}, {'assign_domain': '4'}], True, True),
        entry(DEFINED, 'manual', [], True, False),
    ]
    assert types == {'matrix': {AP_TYPE: {'name': 'VFIO AP Passthrough Device', 'device_api': 'vfio-ap',
                                          'available_instances': 65534, 'description': None}}}
    assert problems == []


def test_filters_by_uuid_parent_and_type(three):
    devices, _types, _problems = list_mdevs(Host(), uuid=BOTH.upper())
    assert [d['uuid'] for d in devices] == [BOTH]
    devices, types, _problems = list_mdevs(Host(), parent='0.0.0313')
    assert devices == [] and types == {}
    devices, types, _problems = list_mdevs(Host(), parent='matrix', mdev_type='vfio_ccw-io')
    assert devices == [] and types == {}


def test_report_has_every_view_by_default_in_a_fixed_order(three):
    result = report(Host())
    assert list(result) == ['summary', 'list', 'list_defined', 'devices', 'types', 'problems']
    devices, types, _problems = list_mdevs(Host())
    assert result['devices'] == devices and result['types'] == types
    assert result['list'] == ['%s matrix %s manual' % (RUNNING, AP_TYPE), '%s matrix %s auto (defined)' % (BOTH, AP_TYPE)]
    assert result['list_defined'] == ['%s matrix %s auto (active)' % (BOTH, AP_TYPE), '%s matrix %s manual' % (DEFINED, AP_TYPE)]


def test_report_returns_only_the_views_asked_for_and_reads_no_types_without_them(three, monkeypatch):
    full = report(Host())
    assert report(Host(), views=['types']) == {k: full[k] for k in ('types', 'problems')}
    monkeypatch.setattr(inventory, '_types', lambda *args: pytest.fail('types were read'))
    assert report(Host(), views=['lines']) == {k: full[k] for k in ('summary', 'list', 'list_defined', 'problems')}
    assert report(Host(), views=['devices']) == {k: full[k] for k in ('devices', 'problems')}
    assert report(Host(), uuid=DEFINED, views=['devices'])['devices'] == [entry(DEFINED, 'manual', [], True, False)]
    assert report(Host(), views=[]) == {'problems': []}


def test_report_without_devices_runs_no_callout_and_reads_no_matrix(three, monkeypatch):
    full = report(Host())
    monkeypatch.setattr(inventory, '_callouts_of', lambda *args: pytest.fail('callout scripts were looked for'))
    monkeypatch.setattr(inventory, 'running_attrs', lambda *args: pytest.fail('a running device\'s attrs were read'))
    wanted = ('summary', 'list', 'list_defined', 'types', 'problems')
    assert report(Host(), views=['lines', 'types']) == {k: full[k] for k in wanted}


def test_unreadable_definitions_are_reported_as_problems(tmp_path):
    host = Host(str(tmp_path))
    store = ConfigStore(host)
    store.write(Definition(DEFINED, 'matrix', AP_TYPE))
    with open(store.path('matrix', DEFINED), 'w') as f:
        f.write('{')
    devices, types, problems = list_mdevs(host)
    assert devices == [] and types == {}
    assert [(p['uuid'], p['path']) for p in problems] == [(DEFINED, '/etc/mdevctl.d/matrix/' + DEFINED)]


def test_filters_are_validated_before_anything_is_read(tmp_path):
    with pytest.raises(InvalidArgument):
        list_mdevs(Host(str(tmp_path)), uuid='not-a-uuid')
    with pytest.raises(InvalidArgument):
        list_mdevs(Host(str(tmp_path)), parent='../matrix')


def test_summary_line_is_what_mdevctl_list_or_list_d_prints():
    def internal(e, has_file):
        return dict(e, _definition_type=AP_TYPE if e['defined'] else None, _file=has_file)
    assert summary_line(internal(entry(BOTH, 'auto', [{'assign_adapter': '5'}], True, True), True)) == \
        BOTH + ' matrix vfio_ap-passthrough auto (active)'
    assert summary_line(internal(entry(DEFINED, 'manual', [{'assign_adapter': '5'}], True, False), True)) == \
        DEFINED + ' matrix vfio_ap-passthrough manual'
    assert summary_line(internal(entry(RUNNING, None, [], False, True), False)) == \
        RUNNING + ' matrix vfio_ap-passthrough manual'
