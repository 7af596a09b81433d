"""Finding and running programs and putting files in place: the standard library's way and a module's."""

import errno
import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.tools import ModuleTools, Timeout, Tools


class FakeModule(object):
    """What ModuleTools uses of an AnsibleModule, recording the calls."""

    def __init__(self, rc=0, move_fails=False):
        self.params = {}
        self.calls = []
        self.rc = rc
        self.move_fails = move_fails

    def get_bin_path(self, name, opt_dirs=None):
        self.calls.append(('get_bin_path', name, tuple(opt_dirs)))
        return '/usr/bin/' + name

    def run_command(self, args, **kwargs):
        self.calls.append(('run_command', args, kwargs))
        return self.rc, 'out', 'err'

    def atomic_move(self, src, dest, unsafe_writes=False):
        self.calls.append(('atomic_move', src, dest))
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
    assert ModuleTools(module).run(['/sbin/modprobe', '-q', '--', 'vfio_ccw'], stdin='{}') == (0, 'out', 'err')
    (name, args, kwargs), = module.calls
    assert args == ['/sbin/modprobe', '-q', '--', 'vfio_ccw']
    assert kwargs['data'] == '{}' and kwargs['binary_data'] is True and kwargs['handle_exceptions'] is False


def test_a_module_times_a_program_out_through_coreutils_timeout():
    module = FakeModule()
    ModuleTools(module).run(['/etc/mdevctl.d/scripts.d/callouts/x'], timeout=120)
    assert module.calls[-1][1] == ['/usr/bin/timeout', '--kill-after=5', '120', '/etc/mdevctl.d/scripts.d/callouts/x']
    assert ('get_bin_path', 'timeout', ('/usr/local/sbin', '/usr/sbin', '/sbin')) in module.calls


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
