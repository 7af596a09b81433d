"""Boot programs: below another root only from PATH's directories below it; their failures named in full."""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._boot.programs import Command, find
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._core.tools import Timeout, Tools


def executable(path, text='#!/bin/sh\n'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def test_below_another_root_only_paths_directories_below_it_count(tmp_path, monkeypatch):
    root = tmp_path / 'root'
    outside = executable(str(tmp_path / 'bin' / 'grubby'))
    inside = executable(str(root / 'stubs' / 'grubby'))
    executable(str(root / 'usr' / 'sbin' / 'dracut'))
    (root / 'stubs' / 'update-grub').write_text('not executable')
    monkeypatch.setenv('PATH', os.pathsep.join([str(tmp_path / 'bin'), 'relative', '', str(root / 'stubs')]))
    host = Host(str(root))
    assert find(host, 'grubby') == inside != outside
    assert find(host, 'dracut') is None  # the root's own /usr/sbin is not on PATH
    assert find(host, 'update-grub') is None


class Tool(Tools):
    """which() from a table; run() records and answers as told."""

    def __init__(self, rc=0, out='', err='', raises=None):
        self.ran, self.answer, self.raises = [], (rc, out, err), raises

    def which(self, name):
        return '/usr/sbin/' + name

    def run(self, argv, stdin=None, timeout=None):
        self.ran.append(argv)
        if self.raises:
            raise self.raises
        return self.answer


def test_on_the_real_root_programs_are_found_as_ansible_finds_them():
    assert find(Host('/', Tool()), 'grubby') == '/usr/sbin/grubby'


def test_a_failure_names_the_command_its_exit_code_and_what_it_said(tmp_path):
    host = Host(str(tmp_path), Tool(rc=1, out='', err='grub2-mkconfig: error: cannot find a device for /.\n'))
    command = Command(host, [str(tmp_path / 'usr' / 'sbin' / 'grub2-mkconfig'), '-o',
                             str(tmp_path / 'boot' / 'grub2' / 'grub.cfg')])
    assert command.shown == '/usr/sbin/grub2-mkconfig -o /boot/grub2/grub.cfg'
    with pytest.raises(ConfigError) as exc:
        command.run()
    assert exc.value.msg == ('/usr/sbin/grub2-mkconfig -o /boot/grub2/grub.cfg failed (exit 1): grub2-mkconfig: '
                             'error: cannot find a device for /.')
    assert exc.value.result()['rc'] == 1 and exc.value.result()['command'] == command.shown
    assert exc.value.result()['stderr'] == 'grub2-mkconfig: error: cannot find a device for /.'
    quiet = Command(Host(str(tmp_path), Tool(rc=2)), ['x', 'a b'])
    with pytest.raises(ConfigError) as exc:
        quiet.run()
    assert exc.value.msg == "x 'a b' failed (exit 2)"


@pytest.mark.parametrize('error', [OSError(8, 'Exec format error'), Timeout('did not finish in 5 s')])
def test_a_program_that_cannot_run_is_a_config_error(tmp_path, error):
    with pytest.raises(ConfigError) as exc:
        Command(Host(str(tmp_path), Tool(raises=error)), ['dracut']).run()
    assert exc.value.msg.startswith('dracut could not run: ')


def test_a_link_below_the_root_to_a_program_outside_it_is_never_run(tmp_path, monkeypatch):
    sbin = tmp_path / 'usr' / 'sbin'
    sbin.mkdir(parents=True)
    (sbin / 'grubby').symlink_to('/bin/true')  # the real host's program: it would act on the real /boot
    monkeypatch.setenv('PATH', str(sbin))
    assert find(Host(str(tmp_path)), "grubby") is None
