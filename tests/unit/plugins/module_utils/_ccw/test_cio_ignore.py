"""cio_ignore through the library: ranges, freeing, and a free that finds no subchannel put back once."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._ccw.cio_ignore import (
    ignored_ranges, is_ignored, plan_cio_ignore)
from ansible_collections.vfio.passthrough.plugins.module_utils._ccw.boot import rule_text
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument, NotFound
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


RULE = 'etc/udev/rules.d/41-vfio-passthrough-cio-ignore.rules'


def test_ranges_of_the_seed_host(seed):
    ranges = ignored_ranges(Host())
    assert ranges == [((0, 0x2c00), (0, 0x2cff))]
    assert is_ignored(ranges, '0.0.2c01') and not is_ignored(ranges, '0.0.2b09')


def test_free_then_nothing_to_do(seed):
    plan = plan_cio_ignore(Host(), ['2c01'], 'absent', persistent=False)
    assert plan.changes[0].actions == ['write "free 0.0.2c01" to /proc/cio_ignore']
    plan.apply()
    assert plan.report(True) == {'actions': plan.changes[0].actions, 'devices': {'0.0.2c01': 'free'},
                                 'subchannels': {'0.0.2c01': '0.0.0315'}, 'freed_at_boot': []}
    assert not plan_cio_ignore(Host(), ['0.0.2c01'], 'absent', persistent=False).changed
    assert not os.path.exists(seed.path(RULE))


def test_a_persistent_free_writes_the_rule_first_and_ignoring_again_takes_the_device_out(seed):
    plan = plan_cio_ignore(Host(), ['2c01', '0.0.2b09'], 'absent')  # 0.0.2b09 is free now, not at boot
    assert [a for c in plan.changes for a in c.actions] == [
        'install /usr/libexec/vfio-passthrough/free-ccw',
        'free 0.0.2c01, 0.0.2b09 at boot in /' + RULE,
        'write "free 0.0.2c01" to /proc/cio_ignore']
    plan.apply()
    assert [w['path'] for w in seed.writes()][:1] == ['/proc/cio_ignore']  # after the files (not logged)
    assert seed.read(RULE) == rule_text(['0.0.2c01', '0.0.2b09']).strip()
    assert 'RUN{program}+="/usr/libexec/vfio-passthrough/free-ccw 0.0.2c01,0.0.2b09"' in seed.read(RULE)
    assert plan.report(True)['freed_at_boot'] == ['0.0.2c01', '0.0.2b09']
    assert not plan_cio_ignore(Host(), ['0.0.2c01'], 'absent').changed
    again = plan_cio_ignore(Host(), ['0.0.2c01'], 'present')
    again.apply()
    assert seed.read(RULE) == rule_text(['0.0.2b09']).strip() and again.report(True)['freed_at_boot'] == ['0.0.2b09']
    plan_cio_ignore(Host(), ['0.0.2b09'], 'present', persistent=True).apply()
    assert not os.path.exists(seed.path(RULE))


def test_a_failed_persistent_free_leaves_no_rule(seed):
    with pytest.raises(NotFound):
        plan_cio_ignore(Host(), ['0.0.2c05'], 'absent').apply()
    assert not os.path.exists(seed.path(RULE))


def test_ignoring_a_device_chzdev_frees_at_boot_warns(seed):
    os.makedirs(seed.path('etc/udev/rules.d'), exist_ok=True)
    with open(seed.path('etc/udev/rules.d/41-cio-ignore.rules'), 'w') as f:
        f.write('ACTION=="add", SUBSYSTEM=="subsystem", KERNEL=="ccw", RUN{program}+="/bin/sh -c '
                "'echo free 0.0.2b09,0.0.2b0a > /proc/cio_ignore'\"\n")
    plan = plan_cio_ignore(Host(), ['0.0.2b0a'], 'present')
    assert len(plan.warnings) == 2 and '0.0.2b0a' in plan.warnings[0] and '41-cio-ignore.rules' in plan.warnings[0]


def test_a_free_without_subchannel_is_put_back_exactly_once(seed):
    plan = plan_cio_ignore(Host(), ['0.0.2c05'], 'absent')
    with pytest.raises(NotFound) as exc:
        plan.apply()
    assert 'no subchannel has appeared for 0.0.2c05' in exc.value.msg
    commands = [w['value'].strip() for w in seed.writes() if w['path'] == '/proc/cio_ignore']
    assert commands == ['free 0.0.2c05', 'add 0.0.2c05']
    assert seed.read('proc/cio_ignore') == '0.0.2c00-0.0.2cff'


def test_bad_state_is_refused():
    with pytest.raises(InvalidArgument):
        plan_cio_ignore(Host('/nonexistent'), ['0.0.2c05'], 'gone')


def test_ignoring_a_registered_device_warns_that_its_subchannel_stays(seed):
    plan = plan_cio_ignore(Host(), ['0.0.2b09', '0.0.2c02'], 'present', persistent=False)
    assert plan.warnings == ['the kernel keeps the subchannel of 0.0.2b09 until the next IPL: cio_ignore only hides '
                             'devices that are not registered yet']
