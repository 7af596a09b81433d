"""The boot rule: one line per PF, other lines kept, the file gone with the last line."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._sriov.rule import Entry, SriovRule, line, parse, render

RULES = 'etc/udev/rules.d/70-vfio-passthrough-sriov.rules'


def test_line_is_udev_syntax():
    assert line('0000:3b:00.0', Entry(4)) == \
        'ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="0000:3b:00.0", ATTR{sriov_numvfs}="4"'
    # udev assigns ATTR{} in the order given: autoprobe is off before the VFs appear
    assert line('0000:3b:00.0', Entry(4, autoprobe=False)) == (
        'ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="0000:3b:00.0", ATTR{sriov_drivers_autoprobe}="0", '
        'ATTR{sriov_numvfs}="4"')


def test_parse_and_render_round_trip_keeping_foreign_lines():
    text = render({'0000:3b:00.1': Entry(2), '0000:3b:00.0': Entry(4, False)},
                  ['ACTION=="add", SUBSYSTEM=="net", RUN+="/bin/true"'])
    assert text.startswith('# Installed by the vfio.passthrough Ansible collection')
    body = [x for x in text.splitlines() if not x.startswith('#')]
    assert [b.split('KERNEL==')[1][:14] for b in body[:2]] == ['"0000:3b:00.0"', '"0000:3b:00.1"']  # address order
    assert body[2] == 'ACTION=="add", SUBSYSTEM=="net", RUN+="/bin/true"'
    entries, others = parse(text)
    assert entries == {'0000:3b:00.0': Entry(4, False), '0000:3b:00.1': Entry(2)}
    assert others == ['ACTION=="add", SUBSYSTEM=="net", RUN+="/bin/true"']
    assert render({}, []) is None


def test_put_adds_changes_and_removes_lines_then_the_file(tmp_path):
    rule = SriovRule(Host(str(tmp_path)))
    assert rule.display == '/' + RULES and rule.get('0000:3b:00.0') is None and rule.lines() == []
    rule.put('0000:3b:00.0', Entry(4))
    rule.put('0000:3b:00.1', Entry(2))
    assert oct(os.stat(str(tmp_path / RULES)).st_mode & 0o777) == '0o644'
    rule.put('0000:3b:00.0', Entry(8))
    assert rule.get('0000:3b:00.0') == Entry(8) and rule.get('0000:3b:00.1') == Entry(2)
    assert rule.lines([('0000:3b:00.1', None)]) == [line('0000:3b:00.0', Entry(8))]  # predicted, not written
    assert rule.get('0000:3b:00.1') == Entry(2)
    rule.put('0000:3b:00.1', None)
    assert rule.lines() == [line('0000:3b:00.0', Entry(8))]
    rule.put('0000:3b:00.0', None)
    assert not os.path.exists(str(tmp_path / RULES))
    rule.put('0000:3b:00.0', None)  # nothing to remove: fine


def test_a_directory_in_the_way_is_a_config_error(tmp_path):
    os.makedirs(str(tmp_path / RULES))
    with pytest.raises(ConfigError) as exc:
        SriovRule(Host(str(tmp_path))).put('0000:3b:00.0', Entry(1))
    assert exc.value.path == '/' + RULES
