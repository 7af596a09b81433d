"""PCI ids as vfio-pci's ids= reads them: validation, and which devices of the x86 host they select."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import InvalidArgument, NotFound
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._overrides.ids import PCI_ANY_ID, PciId, devices_by_ids

ANY = PCI_ANY_ID


@pytest.mark.parametrize('text, fields', [
    ('10de:1eb8', (0x10de, 0x1eb8, ANY, ANY, 0, 0)),
    ('10DE:1EB8', (0x10de, 0x1eb8, ANY, ANY, 0, 0)),
    ('8086:1010:8086', (0x8086, 0x1010, 0x8086, ANY, 0, 0)),
    ('8086:1010:8086:1011', (0x8086, 0x1010, 0x8086, 0x1011, 0, 0)),
    ('ffffffff:ffffffff:ffffffff:ffffffff:040300:ffffff', (ANY, ANY, ANY, ANY, 0x040300, 0xffffff)),
    ('1:2', (1, 2, ANY, ANY, 0, 0)),
    ('0x10de:0x1EB8', (0x10de, 0x1eb8, ANY, ANY, 0, 0)),  # vfio-pci reads each field with %x
])
def test_an_id_is_read_as_the_kernel_reads_it(text, fields):
    pci_id = PciId(text)
    assert (pci_id.vendor, pci_id.device, pci_id.subvendor, pci_id.subdevice, pci_id.pci_class,
            pci_id.class_mask) == fields


@pytest.mark.parametrize('text, words', [
    ('10de', 'is not a PCI id (vendor:device'),
    ('10de:1eb8:1:2:3:4:5', 'is not a PCI id (vendor:device'),
    ('10de:', "'' is not a hex number of up to 4"),
    ('10de:1eb8 ', "'1eb8 ' is not a hex number"),
    ('10de0:1eb8', "'10de0' is not a hex number of up to 4 (or ffffffff, any)"),
    ('10de:1eb8:*', "'*' is not a hex number"),
    ('1:2:3:4:1234567:ffffff', "'1234567' is not a hex number of up to 6"),
    ('1:2:3:4:030000', 'gives a class without a class_mask; the kernel would ignore the class'),
    ('74096', 'YAML 1.1 reads an unquoted id of digits only, such as 1234:56, as a number: quote it'),
    (74096, 'is not a PCI id'),
])
def test_a_malformed_id_is_refused_naming_it(text, words):
    with pytest.raises(InvalidArgument) as exc:
        PciId(text)
    assert words in exc.value.msg
    assert exc.value.extra == {'field': 'ids'} and exc.value.value == (text if isinstance(text, str) else repr(text))


@pytest.mark.parametrize('ids, names', [
    (['10de:1eb8'], ['0000:01:00.0']),
    (['8086:100e'], ['0000:02:01.0', '0000:02:01.1']),
    (['8086:100e:1af4:1100'], ['0000:02:01.0', '0000:02:01.1']),
    (['10de:1eb8', '10de:10f8', '10de:1eb8:ffffffff'], ['0000:01:00.0', '0000:01:00.1']),
    # by class: every audio function (base class 04), whoever makes it
    (['ffffffff:ffffffff:ffffffff:ffffffff:040000:ff0000'], ['0000:01:00.1', '0000:02:02.0']),
    (['ffffffff:ffffffff:4942:4c4c'], ['0000:02:02.0']),  # by the card's subsystem ids
    (['ffffffff:ffffffff:1af4:1100'], ['0000:00:05.0', '0000:02:01.0', '0000:02:01.1']),  # QEMU's
    (['1274:ffffffff:ffffffff:ffffffff:040100:ffffff'], ['0000:02:02.0']),
])
def test_ids_select_every_device_they_match_in_address_order(x86, ids, names):
    assert devices_by_ids(Host(), ids) == names
    assert x86.writes() == []


def test_an_id_that_matches_nothing_is_not_found(x86):
    with pytest.raises(NotFound) as exc:
        devices_by_ids(Host(), ['10de:1eb8', '10de:1eb9', '8086:1010:8086:0001',
                                'ffffffff:ffffffff:ffffffff:ffffffff:040100:ffffff'])
    assert exc.value.msg == 'no PCI device matches ids 10de:1eb9, 8086:1010:8086:0001; nothing was changed'
    assert exc.value.value == '10de:1eb9, 8086:1010:8086:0001' and exc.value.extra == {'field': 'ids'}


def test_no_ids_at_all_is_refused(x86):
    with pytest.raises(InvalidArgument) as exc:
        devices_by_ids(Host(), [])
    assert 'ids is empty' in exc.value.msg


def test_every_id_is_checked_before_the_host_is_read(tmp_path):
    with pytest.raises(InvalidArgument):
        devices_by_ids(Host(str(tmp_path)), ['10de:1eb8', 'nonsense'])  # no /sys/bus/pci here: never looked at
    with pytest.raises(NotFound) as exc:
        devices_by_ids(Host(str(tmp_path)), ['10de:1eb8'])
    assert exc.value.path == '/sys/bus/pci'
