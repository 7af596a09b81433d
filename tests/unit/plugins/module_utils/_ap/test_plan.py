"""AP masks through the library: the rule file is written before the masks, and restored once on failure."""

import errno
import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._ap.plan import MaskRequest, plan_masks
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError, SysfsError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host


def test_masks_and_rule(seed):
    plan = plan_masks(Host(), MaskRequest(adapters=[6], domains=[0x10]))
    assert [a.split(' (')[0] for a in plan.changes[0].actions] == [
        'write apmask', 'write aqmask', 'persist in /etc/udev/rules.d/41-ap.rules']
    plan.apply()
    result = plan.report(True)
    assert '6' in result['vfio_adapters'] and '16' in result['vfio_domains']
    assert result['persisted'] == '/etc/udev/rules.d/41-ap.rules'
    assert not plan_masks(Host(), MaskRequest(adapters=[6], domains=[0x10])).changed


def test_a_rule_that_cannot_be_written_leaves_the_masks_untouched(seed):
    os.makedirs(seed.path('etc/udev/rules.d/41-ap.rules'))  # a directory in the way
    with pytest.raises(ConfigError):
        plan_masks(Host(), MaskRequest(adapters=[6])).apply()
    assert [w for w in seed.writes() if 'mask' in w['path']] == []


def test_a_mask_write_that_fails_restores_the_rule_and_the_other_mask_once(seed):
    before = seed.read('sys/bus/ap/apmask'), seed.read('sys/bus/ap/aqmask')
    plan = plan_masks(Host(), MaskRequest(adapters=[5], domains=[4], state='absent'))
    # between planning and applying, a guest's device takes 05.0004: giving it to the host is now EBUSY
    uuid = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
    seed.write(uuid, 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create')
    seed.write('5', 'sys/bus/mdev/devices', uuid, 'assign_adapter')
    seed.write('4', 'sys/bus/mdev/devices', uuid, 'assign_domain')
    seed.clear_log()
    with pytest.raises(SysfsError) as exc:
        plan.apply()
    assert 'the masks and their rule were restored' in exc.value.msg
    writes = [(w['path'], w['errno']) for w in seed.writes()]
    assert writes == [('/sys/bus/ap/apmask', 0), ('/sys/bus/ap/aqmask', errno.EBUSY), ('/sys/bus/ap/apmask', 0)]
    assert (seed.read('sys/bus/ap/apmask'), seed.read('sys/bus/ap/aqmask')) == before
    assert not os.path.exists(seed.path('etc/udev/rules.d/41-ap.rules'))
