"""Kernel command lines: split as the kernel does, present or replaced, edited in place."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._boot import cmdline
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument


def test_split_keeps_double_quoted_values_whole():
    assert cmdline.split('  ro quiet foo="a b"  "bar=c d" x\n') == ['ro', 'quiet', 'foo="a b"', '"bar=c d"', 'x']
    assert cmdline.split('') == [] and cmdline.split(None) == []
    assert cmdline.key_value('foo="a b"') == ('foo', 'a b')
    assert cmdline.key_value('vfio-pci.ids=10de:1eb8') == ('vfio_pci.ids', '10de:1eb8')  # - and _ alike
    assert cmdline.key_value('quiet') == ('quiet', None)


@pytest.mark.parametrize('arg', ['intel_iommu=on', 'video=efifb:off', 'foo="a b"', 'isolcpus=1-3,5', 'nosmt',
                                 'root=UUID=6a1c', 'vfio-pci.ids=10de:1eb8'])
def test_arguments_the_module_writes(arg):
    assert cmdline.check_arg(arg) == arg


@pytest.mark.parametrize('arg', ['', 'a b', 'x=$HOME', 'x=`id`', "x='a'", 'x=a\\b', 'x=a;b', '=on', 'x="a', 'a\n',
                                 None, 3])
def test_arguments_a_boot_script_would_expand_or_split_are_refused(arg):
    with pytest.raises(InvalidArgument) as exc:
        cmdline.check_arg(arg)
    assert exc.value.extra['field'] == 'kernel_args'


def test_a_key_asked_twice_is_refused():
    with pytest.raises(InvalidArgument) as exc:
        cmdline.wanted(['console=tty0', 'console=ttyS0'])
    assert exc.value.msg == 'kernel_args sets console twice (console=tty0 and console=ttyS0); give each key once'


def asked(*args):
    return cmdline.wanted(list(args))


@pytest.mark.parametrize('before, after', [
    ('ro quiet', 'ro quiet intel_iommu=on'),
    ('ro intel_iommu=on quiet', 'ro intel_iommu=on quiet'),  # present: nothing changes
    ('ro intel_iommu=off quiet', 'ro quiet intel_iommu=on'),  # conflicting: replaced
    ('intel_iommu=off ro', 'ro intel_iommu=on'),
    ('ro intel_iommu=igfx_off', 'ro intel_iommu=igfx_off,on'),  # its other options kept
    ('ro intel_iommu=on,sm_on', 'ro intel_iommu=on,sm_on'),
    ('ro intel_iommu=on intel_iommu=off', 'ro intel_iommu=on'),  # the last one counts
    ('ro intel_iommu=off intel_iommu=on', 'ro intel_iommu=off intel_iommu=on'),
    ('ro intel-iommu=off', 'ro intel_iommu=on'),
    ('ro intel_iommu', 'ro intel_iommu=on'),
    ('', 'intel_iommu=on'),
    ('ro\tquiet  \n', 'ro\tquiet intel_iommu=on  \n'),  # blanks and the newline stay
])
def test_the_iommu_argument(before, after):
    assert cmdline.edit([before], asked('intel_iommu=on')).pieces == [after]


def test_other_arguments_are_exact_and_replace_their_key():
    assert cmdline.edit(['console=tty0 quiet'], asked('console=ttyS0')).pieces == ['quiet console=ttyS0']
    assert cmdline.edit(['a console=ttyS0 console=tty0'], asked('console=ttyS0')).pieces == ['a console=ttyS0']
    assert cmdline.edit(['nosmt=force'], asked('nosmt')).pieces == ['nosmt']
    assert not cmdline.edit(['foo="a b" x'], asked('foo="a b"')).changed


def test_pieces_are_one_command_line_and_new_arguments_go_to_the_first():
    result = cmdline.edit(['console=tty0', 'quiet splash intel_iommu=off'], asked('intel_iommu=on', 'iommu=pt'))
    assert result.pieces == ['console=tty0 intel_iommu=on iommu=pt', 'quiet splash']
    assert result.removed == ['intel_iommu=off'] and result.added == ['intel_iommu=on', 'iommu=pt']
    assert result.by_piece == [([], ['intel_iommu=on', 'iommu=pt']), (['intel_iommu=off'], [])]
    present = cmdline.edit(['', 'quiet intel_iommu=on'], asked('intel_iommu=on'))  # where it is counts
    assert not present.changed and present.pieces == ['', 'quiet intel_iommu=on']


def test_missing_from_a_running_command_line():
    wanted = asked('intel_iommu=on', 'iommu=pt', 'video=efifb:off')
    assert cmdline.missing('BOOT_IMAGE=/vmlinuz ro intel_iommu=on,sm_on iommu=off', wanted) == [
        'iommu=pt', 'video=efifb:off']
    assert cmdline.missing('ro intel_iommu=on iommu=pt video=efifb:off', wanted) == []


def test_describe():
    assert cmdline.describe(['intel_iommu=off'], ['intel_iommu=on'], 'GRUB_CMDLINE_LINUX') == (
        'GRUB_CMDLINE_LINUX: -intel_iommu=off +intel_iommu=on')
