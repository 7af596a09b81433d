"""One mdev's steps: the action lines, the live writes of a running device, and what a change reports."""

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.config import ConfigStore, Definition
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.plan import plan_mdevs
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.request import MdevRequest
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.steps import describe_step, live_writes
from support.ap import persist_masks

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
AP = dict(parent='matrix', mdev_type='vfio_ap-passthrough')
AP_CREATE = 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create'
ADAPTER_5_DOMAIN_4 = [{'assign_adapter': '5'}, {'assign_domain': '4'}]


def written(seed):
    """(attribute, value) of each write the simulated kernel saw."""
    return [(w['path'].rsplit('/', 1)[-1], w['value'].rstrip('\n')) for w in seed.writes()]


def test_describe_step_names_the_definition_file_and_what_start_creates(tmp_path):
    store = ConfigStore(Host(str(tmp_path)))
    d = Definition(UUID, 'matrix', 'vfio_ap-passthrough', attrs=[('assign_adapter', '5'), ('assign_domain', '4')])
    where = '/etc/mdevctl.d/matrix/' + UUID
    assert [describe_step(n, d, store) for n in ('define', 'modify', 'undefine', 'stop', 'live')] == [
        'define in ' + where, 'rewrite ' + where, 'remove ' + where, 'stop (remove)', 'change the running device']
    assert describe_step('start', d, store) == 'start (create vfio_ap-passthrough on matrix, then 2 attribute(s))'
    assert describe_step('start', d.copy(attrs=[]), store) == 'start (create vfio_ap-passthrough on matrix)'
    assert describe_step('purge', 'matrix', store) == 'remove unreadable definition'


def test_live_writes_of_a_vfio_ap_device_unassign_first_then_assign(seed):
    seed.write(UUID, AP_CREATE)
    for attr, value in (('assign_adapter', '5'), ('assign_domain', '4'), ('assign_domain', '0x42')):
        seed.write(value, 'sys/bus/mdev/devices', UUID, attr)
    new = [('assign_adapter', '5'), ('assign_domain', '0xab'), ('assign_domain', '4'), ('assign_control_domain', '4')]
    # the running matrix counts, not the old attrs
    assert live_writes(Host(), UUID, [], new) == [
        ('unassign_domain', '0x42'), ('assign_domain', '0xab'), ('assign_control_domain', '0x4')]


def test_live_writes_of_another_device_write_the_attributes_new_in_the_list(x86):
    x86.write(UUID, 'sys/devices/virtual/mtty/mtty/mdev_supported_types/mtty-2/create')
    old = [('a', '1'), ('b', '2')]
    assert live_writes(Host(), UUID, old, [('b', '2'), ('c', '3'), ('a', '4')]) == [('c', '3'), ('a', '4')]
    assert live_writes(Host(), UUID, old, old) == []


def test_a_planned_change_lists_its_steps_and_predicts_what_applying_reads_back(seed):
    persist_masks(seed)  # an autostart vfio-ap device needs its APQNs reserved at boot
    plan = plan_mdevs(Host(), [MdevRequest(uuid=UUID, attrs=ADAPTER_5_DOMAIN_4, autostart='auto', **AP)])
    boot, change = plan.changes  # no mdevctl on the simulated root: the collection's start at boot comes first
    assert boot.actions == ['install /usr/libexec/vfio-passthrough/start-mdevs',
                            'install /etc/udev/rules.d/90-vfio-passthrough-mdevs.rules']
    assert change.actions == ['define in /etc/mdevctl.d/matrix/' + UUID,
                              'start (create vfio_ap-passthrough on matrix, then 2 attribute(s))']
    assert change.before == {'definition': None, 'active': 'no'}
    assert change.after['active'] == 'yes' and '"assign_domain": "4"' in change.after['definition']
    predicted = change.describe(False)
    assert predicted == {'uuid': UUID, 'parent': 'matrix', 'mdev_type': 'vfio_ap-passthrough', 'start': 'auto',
                         'attrs': ADAPTER_5_DOMAIN_4, 'defined': True, 'active': True}
    assert seed.writes() == []
    plan.apply()
    assert change.describe(True) == predicted


def test_a_stop_predicts_a_defined_device_that_no_longer_runs(seed):
    plan_mdevs(Host(), [MdevRequest(uuid=UUID, attrs=ADAPTER_5_DOMAIN_4, **AP)]).apply()
    plan = plan_mdevs(Host(), [MdevRequest(uuid=UUID, state='stopped')])
    change = plan.changes[0]
    assert change.actions == ['stop (remove)']
    predicted = change.describe(False)
    assert (predicted['defined'], predicted['active'], predicted['attrs']) == (True, False, ADAPTER_5_DOMAIN_4)
    plan.apply()
    assert change.describe(True) == predicted


def test_a_live_change_rewrites_the_definition_and_only_the_differing_assignments(seed):
    plan_mdevs(Host(), [MdevRequest(uuid=UUID, attrs=ADAPTER_5_DOMAIN_4, **AP)]).apply()
    seed.clear_log()
    wanted = [{'assign_adapter': '5'}, {'assign_domain': '0x42'}]
    plan = plan_mdevs(Host(), [MdevRequest(uuid=UUID, attrs=wanted, live=True, **AP)])
    release, change = plan.changes  # what the device gives up goes first, apart (see test_plan's swap)
    assert release.actions == ['release what the running device gives up (unassign first)'] and not release.entry
    assert change.actions == ['rewrite /etc/mdevctl.d/matrix/' + UUID, 'change the running device']
    plan.apply()
    assert written(seed) == [('unassign_domain', '0x4'), ('assign_domain', '0x42')]
    assert change.describe(True)['attrs'] == wanted
