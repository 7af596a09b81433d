"""Whole-system validation as a pure function: each conflict kind, names of both parties."""

from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.conflicts import DeviceView, System, find_conflicts

A, B, C = 'aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002', \
    'cccccccc-0000-4000-8000-000000000003'


def ap(uuid, adapters=(), domains=(), controls=(), active=False, autostart=False):
    return DeviceView(uuid, 'matrix', 'vfio_ap-passthrough', active, autostart,
                      {'adapter': set(adapters), 'domain': set(domains), 'control_domain': set(controls)})


def kinds(conflicts):
    return [c['kind'] for c in conflicts]


def test_shared_apqn_between_devices_that_can_run_together():
    system = System([ap(A, [5], [4, 0xab], active=True), ap(B, [5], [0xab], autostart=True)])
    (c,) = find_conflicts(system)
    assert c['kind'] == 'apqn_in_use' and c['devices'] == sorted([A, B]) and c['apqns'] == ['05.00ab']
    assert A + ' (active)' in c['msg'] and B + ' (autostart)' in c['msg']


def test_shared_apqn_with_a_device_that_cannot_run_is_fine():
    assert find_conflicts(System([ap(A, [5], [4], active=True), ap(B, [5], [4])])) == []


def test_many_shared_apqns_are_one_finding_per_pair():
    system = System([ap(A, [5, 6], [4, 5], active=True), ap(B, [5, 6], [4, 5], active=True)])
    (c,) = find_conflicts(system)
    assert c['apqns'] == ['05.0004', '05.0005', '06.0004', '06.0005'] and c['msg'].startswith('APQNs 05.0004, ')


def test_reserved_for_host_above_maximum_and_lone_control_domains():
    system = System([ap(A, [3], [0x10], active=True), ap(B, [70], [4], autostart=True),
                     ap(C, [], [], [0x2a], autostart=True)],
                    host_adapters={3}, host_domains={0x10}, max_adapter=63, max_domain=255)
    found = find_conflicts(system)
    assert sorted(kinds(found)) == ['above_maximum', 'control_without_usage', 'reserved_for_host']
    reserved = [c for c in found if c['kind'] == 'reserved_for_host'][0]
    assert reserved['apqns'] == ['03.0010'] and A in reserved['msg']
    assert '0x46 of mdev %s' % B in [c for c in found if c['kind'] == 'above_maximum'][0]['msg']


def test_second_vfio_ccw_device_on_one_subchannel():
    one = DeviceView(A, '0.0.0313', 'vfio_ccw-io', active=True)
    two = DeviceView(B, '0.0.0313', 'vfio_ccw-io', autostart=True)
    (c,) = find_conflicts(System([one, two], capacity={('0.0.0313', 'vfio_ccw-io'): 1}))
    assert c['kind'] == 'no_instances' and 'the parent holds 1' in c['msg'] and 'on parent 0.0.0313' in c['msg']


def test_proposal_only_reports_what_concerns_it():
    system = System([ap(A, [5], [4], active=True), ap(B, [5], [4], active=True)])
    assert len(find_conflicts(system)) == 1
    assert find_conflicts(system, {C: ap(C, [6], [4], active=True)}) == []
    (c,) = find_conflicts(system, {C: ap(C, [5], [4], active=True)})
    assert C in c['devices']
    assert find_conflicts(system, {B: None}) == []  # removing B resolves it


def test_an_autostart_device_needs_its_apqns_reserved_at_boot():
    boot = (set(range(256)) - {5}, set(range(256)), '/etc/udev/rules.d/41-ap.rules')  # adapter 5 only is free
    system = System([ap(A, [5, 6], [4], autostart=True), ap(B, [7], [4], active=True), ap(C, [7], [5])],
                    boot_masks=boot)
    (c,) = find_conflicts(system)
    assert c['kind'] == 'not_reserved_at_boot' and c['devices'] == [A] and c['apqns'] == ['06.0004']
    assert '41-ap.rules' in c['msg']  # a running or manual device is not started at boot: not its business
    assert find_conflicts(System([ap(A, [5], [4], autostart=True)], boot_masks=boot)) == []
    assert find_conflicts(System([ap(A, [5], [4], autostart=True)])) == []  # no AP bus: nothing to check
