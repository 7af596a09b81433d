"""The initramfs generator found, its configuration with or without vfio, and its command."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._boot import initramfs
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import NotFound
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host

BLOCK = initramfs.BEGIN + '\nvfio\nvfio_iommu_type1\nvfio_pci\n' + initramfs.END + '\n'
MODULES = '# List of modules\n# raid1\nloop\n'


def test_initramfs_tools_modules_get_one_block_at_the_end_and_lose_it_again():
    added = initramfs.modules_text(MODULES, True)
    assert added == MODULES + BLOCK
    assert initramfs.modules_text(added, True) is added  # in place: unchanged
    assert initramfs.modules_text(added, False) == MODULES
    assert initramfs.modules_text('loop', True) == 'loop\n' + BLOCK
    assert initramfs.modules_text('loop', False) == 'loop'  # nothing to take out: not even a newline added
    assert initramfs.modules_text(None, True) == BLOCK
    assert initramfs.modules_text(None, False) is None
    assert initramfs.modules_text(MODULES, False) == MODULES


def test_a_block_in_the_middle_stays_and_a_broken_one_is_mended():
    middle = 'loop\n' + BLOCK + 'raid1\n'
    assert initramfs.modules_text(middle, True) == middle
    assert initramfs.modules_text(middle, False) == 'loop\nraid1\n'
    old = 'loop\n' + initramfs.BEGIN + '\nvfio\n' + initramfs.END + '\nraid1\n'  # an older, shorter block
    assert initramfs.modules_text(old, True) == 'loop\nraid1\n' + BLOCK
    unclosed = 'loop\n' + initramfs.BEGIN + '\nraid1\n'
    assert initramfs.modules_text(unclosed, False) == 'loop\nraid1\n'
    twice = BLOCK + 'loop\n' + BLOCK
    assert initramfs.modules_text(twice, True) == 'loop\n' + BLOCK


def program(root, name):
    path = os.path.join(root, 'usr', 'sbin', name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n')
    os.chmod(path, 0o755)


def test_the_generator_of_a_host(tmp_path, monkeypatch):
    root = str(tmp_path)
    host = Host(root)
    monkeypatch.setenv('PATH', os.path.join(root, 'usr', 'sbin'))
    assert initramfs.detect(host, 'auto') is None and initramfs.detect(host, 'none') is None
    with pytest.raises(NotFound) as exc:
        initramfs.detect(host, 'dracut')
    assert exc.value.msg == 'initramfs is dracut but dracut is not found (on PATH below the root %s)' % root
    program(root, 'update-initramfs')
    found = initramfs.detect(host, 'auto')  # without /etc/initramfs-tools, but nothing else
    assert found.kind == 'initramfs-tools' and found.path == os.path.join(root, 'etc', 'initramfs-tools', 'modules')
    assert found.command.shown == '/usr/sbin/update-initramfs -u -k all'
    program(root, 'dracut')
    found = initramfs.detect(host, 'auto')
    assert found.kind == 'dracut' and found.path == os.path.join(root, 'etc', 'dracut.conf.d', 'vfio-passthrough.conf')
    assert found.command.shown == '/usr/sbin/dracut --regenerate-all -f'
    assert found.text(None, True) == initramfs.DRACUT_TEXT and found.text('x', False) is None
    assert 'force_drivers+=" vfio vfio_iommu_type1 vfio_pci "\n' in initramfs.DRACUT_TEXT
    os.makedirs(os.path.join(root, 'etc', 'initramfs-tools'))
    assert initramfs.detect(host, 'auto').kind == 'initramfs-tools'
    assert initramfs.detect(host, 'dracut').kind == 'dracut'
