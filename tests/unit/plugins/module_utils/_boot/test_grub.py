"""/etc/default/grub: the last assignment's value rewritten in its own quotes, all else kept; grub.cfg's program."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._boot import cmdline, grub
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

IOMMU = cmdline.wanted(['intel_iommu=on', 'iommu=pt'])


def edited(text):
    return grub.edit(text, IOMMU, '/etc/default/grub').text


@pytest.mark.parametrize('before, after', [
    # Debian's, Ubuntu's: an empty GRUB_CMDLINE_LINUX and the options in _DEFAULT
    ('GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\nGRUB_CMDLINE_LINUX=""\n',
     'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\nGRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n'),
    # Fedora's
    ('GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rd.lvm.lv=fedora/root rhgb quiet"\nGRUB_DISABLE_RECOVERY="true"\n',
     'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rd.lvm.lv=fedora/root rhgb quiet intel_iommu=on iommu=pt"\n'
     'GRUB_DISABLE_RECOVERY="true"\n'),
    # single quotes, a comment after the value, a value quoted inside
    ("GRUB_CMDLINE_LINUX='console=tty0 foo=\"a b\"'   # keep me\n",
     "GRUB_CMDLINE_LINUX='console=tty0 foo=\"a b\" intel_iommu=on iommu=pt'   # keep me\n"),
    # double quotes with escaped quotes inside
    ('GRUB_CMDLINE_LINUX="foo=\\"a b\\" quiet"\n',
     'GRUB_CMDLINE_LINUX="foo=\\"a b\\" quiet intel_iommu=on iommu=pt"\n'),
    # unquoted: quoted now that it has a blank
    ('GRUB_CMDLINE_LINUX=quiet\n', 'GRUB_CMDLINE_LINUX="quiet intel_iommu=on iommu=pt"\n'),
    ('GRUB_CMDLINE_LINUX=\n', 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n'),
    # export, indentation, and a value that spans lines
    ('  export GRUB_CMDLINE_LINUX="quiet\n  splash"\n',
     '  export GRUB_CMDLINE_LINUX="quiet\n  splash intel_iommu=on iommu=pt"\n'),
    # the last assignment counts; a commented one is not one
    ('GRUB_CMDLINE_LINUX="a"\n#GRUB_CMDLINE_LINUX="b"\nGRUB_CMDLINE_LINUX="c"\n',
     'GRUB_CMDLINE_LINUX="a"\n#GRUB_CMDLINE_LINUX="b"\nGRUB_CMDLINE_LINUX="c intel_iommu=on iommu=pt"\n'),
    # concatenated quotes become one double-quoted word
    ('GRUB_CMDLINE_LINUX="a "\'b\'\n', 'GRUB_CMDLINE_LINUX="a b intel_iommu=on iommu=pt"\n'),
    # no assignment: one is added at the end (a missing last newline added first)
    ('GRUB_TIMEOUT=5', 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n'),
    ('', 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n'),
])
def test_arguments_are_added_to_grub_cmdline_linux_keeping_its_quotes(before, after):
    assert edited(before) == after
    assert edited(after) == after  # the second run changes nothing


def test_a_conflicting_value_is_taken_out_of_the_default_too_and_present_ones_stay_where_they_are():
    text = ('GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=off splash"\n'
            'GRUB_CMDLINE_LINUX="iommu=pt"\n')
    result = grub.edit(text, IOMMU, '/etc/default/grub')
    assert result.text == ('GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n'
                           'GRUB_CMDLINE_LINUX="iommu=pt intel_iommu=on"\n')
    assert result.describe() == 'GRUB_CMDLINE_LINUX: +intel_iommu=on, GRUB_CMDLINE_LINUX_DEFAULT: -intel_iommu=off'
    present = grub.edit('GRUB_CMDLINE_LINUX_DEFAULT="intel_iommu=on iommu=pt"\n', IOMMU, '/etc/default/grub')
    assert not present.changed and present.describe() == ''


def test_a_value_with_a_dollar_or_a_quote_is_written_in_double_quotes_escaped():
    assert grub.quote('a "b c"', 'single') == '\'a "b c"\''
    assert grub.quote("it's", 'single') == '"it\'s"'
    assert grub.quote('a$b`c"\\', 'double') == '"a\\$b\\`c\\"\\\\"'
    assert grub.quote('plain', 'plain') == 'plain' and grub.quote('', 'plain') == '""'


@pytest.mark.parametrize('text, why', [
    ('GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX quiet"\n', 'is set with shell expansion ("$GRUB_CMDLINE_LINUX quiet")'),
    ('GRUB_CMDLINE_LINUX=`cat /x`\n', 'is set with shell expansion'),
    ('GRUB_CMDLINE_LINUX="quiet\n', 'has a double quote that is not closed'),
    ("GRUB_CMDLINE_LINUX='quiet\n", 'has a single quote that is not closed'),
])
def test_what_the_module_cannot_read_for_sure_is_refused_naming_the_file(text, why):
    with pytest.raises(ConfigError) as exc:
        edited(text)
    assert why in exc.value.msg and exc.value.path == '/etc/default/grub'


def test_an_escaped_dollar_is_no_expansion():
    assert edited('GRUB_CMDLINE_LINUX="a=\\$b"\n') == 'GRUB_CMDLINE_LINUX="a=\\$b intel_iommu=on iommu=pt"\n'


def test_grub_d_files_that_set_the_variable_again_are_named(tmp_path):
    host = Host(str(tmp_path))
    d = tmp_path / 'etc' / 'default' / 'grub.d'
    d.mkdir(parents=True)
    (d / '50-cloudimg.cfg').write_text('GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0"\n')
    (d / '60-keeps.cfg').write_text('GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX console=ttyS0"\n')
    assert grub.overridden_in(host) == []
    (d / '70-sets.cfg').write_text('# x\nGRUB_CMDLINE_LINUX="console=ttyS0"\n')
    (d / '80-ignored.txt').write_text('GRUB_CMDLINE_LINUX="x"\n')
    assert grub.overridden_in(host) == ['/etc/default/grub.d/70-sets.cfg']


def program(root, name):
    path = os.path.join(root, 'usr', 'sbin', name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n')
    os.chmod(path, 0o755)


def test_the_program_that_makes_grub_cfg(tmp_path, monkeypatch):
    root = str(tmp_path)
    host = Host(root)
    monkeypatch.setenv('PATH', os.path.join(root, 'usr', 'sbin'))
    assert grub.mkconfig(host) is None
    program(root, 'grub-mkconfig')
    assert grub.mkconfig(host).shown == '/usr/sbin/grub-mkconfig -o /boot/grub/grub.cfg'
    program(root, 'grub2-mkconfig')
    os.makedirs(os.path.join(root, 'boot', 'efi', 'EFI', 'BOOT'))
    os.makedirs(os.path.join(root, 'boot', 'efi', 'EFI', 'fedora'))
    open(os.path.join(root, 'boot', 'efi', 'EFI', 'BOOT', 'grub.cfg'), 'w').close()
    assert grub.mkconfig(host).shown == '/usr/sbin/grub2-mkconfig -o /boot/efi/EFI/BOOT/grub.cfg'
    open(os.path.join(root, 'boot', 'efi', 'EFI', 'fedora', 'grub.cfg'), 'w').close()
    assert grub.mkconfig(host).shown == '/usr/sbin/grub2-mkconfig -o /boot/efi/EFI/fedora/grub.cfg'
    os.makedirs(os.path.join(root, 'boot', 'grub2'))
    assert grub.mkconfig(host).argv == [os.path.join(root, 'usr', 'sbin', 'grub2-mkconfig'), '-o',
                                        os.path.join(root, 'boot', 'grub2', 'grub.cfg')]
    program(root, 'update-grub')
    assert grub.mkconfig(host).shown == '/usr/sbin/update-grub'
