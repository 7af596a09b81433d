"""vfio-pci's ids validated and made canonical, module names, and the modprobe.d file's text."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._boot import modprobe
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument


@pytest.mark.parametrize('given, canonical', [
    ('10de:1eb8', '10de:1eb8'), ('10DE:1EB8', '10de:1eb8'), ('0x10de:0x1eb8', '10de:1eb8'), ('8086:10d3', '8086:10d3'),
    ('1af4:1', '1af4:0001'), ('10de:1eb8:ffffffff:ffffffff', '10de:1eb8:ffffffff:ffffffff'),
    ('10de:ffff:ffffffff:ffffffff:030000:ffff00', '10de:ffff:ffffffff:ffffffff:30000:ffff00'),
])
def test_ids_as_vfio_pci_reads_them(given, canonical):
    assert modprobe.pci_id(given) == canonical


@pytest.mark.parametrize('given', ['10de', '10de:', 'g0de:1eb8', '10de:1eb8a', '10de-1eb8', '1:2:3:4:5:6:7',
                                   '10de:1eb8:123456789', '', '10de:1eb8\n,1',
                                   '10de:1eb8:ffffffff:ffffffff:030000'])  # a class without its mask
def test_ids_vfio_pci_would_not_read_are_refused(given):
    with pytest.raises(InvalidArgument) as exc:
        modprobe.pci_id(given)
    assert exc.value.extra['field'] == 'ids'


def test_ids_once_each_in_order():
    assert modprobe.pci_ids(['10de:1eb8', '10de:10f8', '10DE:1EB8']) == ['10de:1eb8', '10de:10f8']
    assert modprobe.pci_ids(None) == []


def test_module_names():
    assert modprobe.module_names(['nouveau', 'snd_hda_intel', 'snd-hda-intel', 'nouveau'], 'softdep_drivers') == [
        'nouveau', 'snd_hda_intel', 'snd-hda-intel']
    for bad in ('', 'a b', '../x', 'x\n', 'nouveau.ko', 3):
        with pytest.raises(InvalidArgument):
            modprobe.module_name(bad, 'blacklist')


def test_the_file():
    text = modprobe.conf_text(['10de:1eb8', '10de:10f8'], ['nouveau', 'snd_hda_intel'], ['nouveau'])
    assert text.startswith('# Written by vfio.passthrough')
    assert text.splitlines()[2:] == ['options vfio-pci ids=10de:1eb8,10de:10f8', 'softdep nouveau pre: vfio-pci',
                                     'softdep snd_hda_intel pre: vfio-pci', 'blacklist nouveau']
    assert modprobe.conf_text([], ['nouveau']) is None
