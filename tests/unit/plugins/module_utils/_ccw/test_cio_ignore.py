"""cio_ignore through the library: ranges, freeing, and a free that finds no subchannel put back once."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._ccw.cio_ignore import (
    ignored_ranges, is_ignored, plan_cio_ignore)
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument, NotFound
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


def test_ranges_of_the_seed_host(seed):
    ranges = ignored_ranges(Host())
    assert ranges == [((0, 0x2c00), (0, 0x2cff))]
    assert is_ignored(ranges, '0.0.2c01') and not is_ignored(ranges, '0.0.2b09')


def test_free_then_nothing_to_do(seed):
    plan = plan_cio_ignore(Host(), ['2c01'], 'absent')
    assert plan.changes[0].actions == ['write "free 0.0.2c01" to /proc/cio_ignore']
    plan.apply()
    assert plan.report(True) == {'actions': plan.changes[0].actions, 'devices': {'0.0.2c01': 'free'}}
    assert not plan_cio_ignore(Host(), ['0.0.2c01'], 'absent').changed


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
