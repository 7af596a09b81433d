"""grubby: its --info=ALL read, and one call for ALL entries or one per entry when they need different changes."""

from ansible_collections.vfio.passthrough.plugins.module_utils._boot import cmdline, grubby
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

INFO = '''index=0
kernel="/boot/vmlinuz-5.14.0-362.el9.x86_64"
args="ro crashkernel=1G-4G:192M rd.lvm.lv=rhel/root rhgb quiet"
root="/dev/mapper/rhel-root"
initrd="/boot/initramfs-5.14.0-362.el9.x86_64.img"
title="Red Hat Enterprise Linux (5.14.0-362.el9.x86_64) 9.3 (Plow)"
id="e9c8-5.14.0-362.el9.x86_64"
index=1
kernel="/boot/vmlinuz-0-rescue-e9c8"
args="ro intel_iommu=off"
root="/dev/mapper/rhel-root"
index=2
kernel=/boot/vmlinuz-noargs
non linux entry
'''


def test_the_entries_of_info_all():
    assert grubby.parse_info(INFO) == [
        ('/boot/vmlinuz-5.14.0-362.el9.x86_64', 'ro crashkernel=1G-4G:192M rd.lvm.lv=rhel/root rhgb quiet'),
        ('/boot/vmlinuz-0-rescue-e9c8', 'ro intel_iommu=off'), ('/boot/vmlinuz-noargs', '')]
    assert grubby.parse_info('') == []


def test_one_call_for_all_entries_when_they_need_the_same(tmp_path):
    host = Host(str(tmp_path))
    found = [('/boot/vmlinuz-a', 'ro quiet'), ('/boot/vmlinuz-b', 'ro')]
    calls, after = grubby.plan_calls(host, '/usr/sbin/grubby', found, cmdline.wanted(['intel_iommu=on', 'iommu=pt']))
    assert [c.command.argv for c in calls] == [['/usr/sbin/grubby', '--update-kernel=ALL',
                                                '--args=intel_iommu=on iommu=pt']]
    assert [c.reverse.argv for c in calls] == [['/usr/sbin/grubby', '--update-kernel=ALL',
                                                '--remove-args=intel_iommu=on iommu=pt']]
    assert after == {'/boot/vmlinuz-a': 'ro quiet intel_iommu=on iommu=pt', '/boot/vmlinuz-b': 'ro intel_iommu=on iommu=pt'}


def test_entries_that_need_different_changes_get_a_call_each_and_present_ones_none(tmp_path):
    host = Host(str(tmp_path))
    found = grubby.parse_info(INFO) + [('/boot/vmlinuz-done', 'ro intel_iommu=on')]
    calls, after = grubby.plan_calls(host, 'grubby', found, cmdline.wanted(['intel_iommu=on']))
    assert [c.command.argv for c in calls] == [
        ['grubby', '--update-kernel=/boot/vmlinuz-5.14.0-362.el9.x86_64', '--args=intel_iommu=on'],
        ['grubby', '--update-kernel=/boot/vmlinuz-noargs', '--args=intel_iommu=on'],
        ['grubby', '--update-kernel=/boot/vmlinuz-0-rescue-e9c8', '--remove-args=intel_iommu=off',
         '--args=intel_iommu=on']]
    assert calls[2].reverse.argv == ['grubby', '--update-kernel=/boot/vmlinuz-0-rescue-e9c8',
                                     '--remove-args=intel_iommu=on', '--args=intel_iommu=off']
    assert after['/boot/vmlinuz-0-rescue-e9c8'] == 'ro intel_iommu=on'
    assert grubby.plan_calls(host, 'grubby', [('/boot/vmlinuz-done', 'ro intel_iommu=on')],
                             cmdline.wanted(['intel_iommu=on']))[0] == []
