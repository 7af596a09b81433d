"""Finding and running programs and putting files in place: the standard library's way and a module's."""

import errno
import os
import subprocess
import time

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.tools import ModuleTools, Timeout, Tools


class FakeModule(object):
    """What ModuleTools uses of an AnsibleModule, recording the calls."""

    def __init__(self, move_fails=False, raises=False):
        self.params = {}
        self.calls = []
        self.move_fails = move_fails
        self.raises = raises

    def get_bin_path(self, name, opt_dirs=None):
        self.calls.append(('get_bin_path', name, tuple(opt_dirs)))
        return '/usr/bin/' + name

    def run_command(self, args, **kwargs):
        """As AnsibleModule's: starts the program, hands it to before_communicate_callback, waits for it."""
        self.calls.append(('run_command', args, kwargs))
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)
        kwargs['before_communicate_callback'](proc)
        if kwargs.get('data'):  # as run_command: the input written whole, then closed, then the output read
            proc.stdin.write(kwargs['data'])
            proc.stdin.close()
        out, err = proc.stdout.read(), proc.stderr.read()
        return proc.wait(), out, err

    def atomic_move(self, src, dest, unsafe_writes=False):
        self.calls.append(('atomic_move', src, dest))
        if self.raises:  # ansible-core 2.19 and later
            try:
                raise OSError(errno.EROFS, 'Read-only file system')
            except OSError as exc:
                raise Exception('Could not replace file: %s to %s: %s' % (src, dest, exc)) from exc
        if self.move_fails:
            self.fail_json(msg='Could not replace file: %s to %s: [Errno 1] Operation not permitted' % (src, dest))
        os.rename(src, dest)

    def fail_json(self, **result):
        raise SystemExit('fail_json: %s' % result)


def test_the_standard_library_runs_and_times_out():
    assert Tools().run(['sh', '-c', 'cat; echo oops >&2; exit 3'], stdin='in') == (3, 'in', 'oops\n')
    assert Tools().run(['sh', '-c', 'kill -TERM $$'])[0] == -15
    with pytest.raises(Timeout):
        Tools().run(['sleep', '5'], timeout=0.2)
    assert Tools().which('sh') and Tools().which('no-such-program-here') is None


def test_a_module_runs_through_run_command_with_the_input_as_given():
    module = FakeModule()
    assert ModuleTools(module).run(['sh', '-c', 'cat; echo $PPID >&2'], stdin='{}') == (0, '{}', '%d\n' % os.getpid())
    (name, args, kwargs), = module.calls  # the program is the module's own child: no wrapper between
    assert args == ['sh', '-c', 'cat; echo $PPID >&2']
    assert kwargs['data'] == '{}' and kwargs['binary_data'] is True and kwargs['handle_exceptions'] is False


def test_a_program_that_does_not_read_its_input_is_no_error():
    data = 'x' * (1 << 20)  # more than a pipe holds: the write meets a reader that is gone
    assert ModuleTools(FakeModule()).run(['sh', '-c', 'echo done; exit 2'], stdin=data, timeout=30) == (2, 'done\n', '')


def test_a_module_kills_a_program_that_runs_out_of_time():
    module = FakeModule()
    started = time.time()
    with pytest.raises(Timeout):
        ModuleTools(module).run(['sleep', '30'], timeout=0.3)
    assert time.time() - started < 10
    assert ModuleTools(module).run(['true'], timeout=5) == (0, '', '')


def test_atomic_move_replaces_the_file_and_a_failure_comes_back_as_an_oserror(tmp_path):
    (tmp_path / 'tmp').write_text('new')
    module = FakeModule()
    ModuleTools(module).replace(str(tmp_path / 'tmp'), str(tmp_path / 'file'))
    assert (tmp_path / 'file').read_text() == 'new'
    (tmp_path / 'tmp').write_text('newer')
    failing = FakeModule(move_fails=True)
    with pytest.raises(OSError) as exc:
        ModuleTools(failing).replace(str(tmp_path / 'tmp'), str(tmp_path / 'file'))
    assert exc.value.errno == errno.EIO and 'Operation not permitted' in exc.value.strerror
    with pytest.raises(SystemExit):
        failing.fail_json(msg='the module\'s own fail_json is back')


def test_atomic_move_that_raises_as_2_19_does_comes_back_as_an_oserror_with_its_errno(tmp_path):
    (tmp_path / 'tmp').write_text('new')
    with pytest.raises(OSError) as exc:
        ModuleTools(FakeModule(raises=True)).replace(str(tmp_path / 'tmp'), str(tmp_path / 'file'))
    assert exc.value.errno == errno.EROFS and 'Could not replace file' in exc.value.strerror
