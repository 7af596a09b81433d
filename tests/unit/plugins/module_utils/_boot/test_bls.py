"""BLS entries (their options lines) and /etc/kernel/cmdline, edited in place."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._boot import bls, cmdline
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

IOMMU = cmdline.wanted(['intel_iommu=on', 'iommu=pt'])
ENTRY = ('title Fedora Linux (6.5.6-300.fc39.x86_64) 39\n'
         'version 6.5.6-300.fc39.x86_64\n'
         'linux /vmlinuz-6.5.6-300.fc39.x86_64\n'
         'initrd /initramfs-6.5.6-300.fc39.x86_64.img\n'
         'options root=UUID=6a1c ro rhgb quiet\n'
         'grub_users $grub_users\n')


def test_an_entrys_options_line_gets_the_arguments_and_the_rest_stays():
    text, result = bls.edit_entry(ENTRY, IOMMU)
    assert text == ENTRY.replace('rhgb quiet\n', 'rhgb quiet intel_iommu=on iommu=pt\n')
    assert result.added == ['intel_iommu=on', 'iommu=pt']
    again, result = bls.edit_entry(text, IOMMU)
    assert again == text and not result.changed


def test_several_options_lines_are_one_command_line():
    text = 'title x\noptions root=/dev/sda1 intel_iommu=off\r\noptions\tquiet\nlinux /vmlinuz\n'
    new, result = bls.edit_entry(text, IOMMU)
    assert new == 'title x\noptions root=/dev/sda1\r\noptions\tquiet intel_iommu=on iommu=pt\nlinux /vmlinuz\n'
    assert result.removed == ['intel_iommu=off']


def test_an_entry_without_options_gets_a_line():
    assert bls.edit_entry('title x\nlinux /vmlinuz', IOMMU)[0] == (
        'title x\nlinux /vmlinuz\noptions intel_iommu=on iommu=pt\n')
    assert bls.edit_entry('title x\noptions\n', IOMMU)[0] == 'title x\noptions intel_iommu=on iommu=pt\n'


def test_kernel_cmdline_file_keeps_its_newline():
    assert bls.edit_cmdline_file('root=UUID=6a1c ro\n', IOMMU)[0] == 'root=UUID=6a1c ro intel_iommu=on iommu=pt\n'
    assert bls.edit_cmdline_file('', IOMMU)[0] == 'intel_iommu=on iommu=pt'


def test_entries_of_every_bls_directory_in_order(tmp_path):
    host = Host(str(tmp_path))
    assert bls.entries(host) == []
    boot = tmp_path / 'boot' / 'loader' / 'entries'
    esp = tmp_path / 'boot' / 'efi' / 'loader' / 'entries'
    boot.mkdir(parents=True)
    esp.mkdir(parents=True)
    (boot / 'b.conf').write_text(ENTRY)
    (boot / 'a.conf').write_text(ENTRY)
    (boot / 'notes.txt').write_text('x')
    (boot / 'dir.conf').mkdir()
    os.symlink('a.conf', str(boot / 'link.conf'))
    (esp / 'c.conf').write_text(ENTRY)
    assert bls.entries(host) == [str(boot / 'a.conf'), str(boot / 'b.conf'), str(esp / 'c.conf')]
