"""mdevctl's callout protocol with small shell scripts below a temporary root."""

import json
import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import CalloutError
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.callouts import Callouts
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.config import Definition

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
AP = Definition(UUID, 'matrix', 'vfio_ap-passthrough', 'auto', [('assign_adapter', '5')])
CALLOUTS = '/etc/mdevctl.d/scripts.d/callouts'
NOTIFIERS = '/etc/mdevctl.d/scripts.d/notifiers'


class Root(object):
    """A temporary root with callout and notifier scripts that log how they were called."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.host = Host(str(tmp_path / 'root'))
        self.log = tmp_path / 'calls.log'

    def script(self, where, name, body):
        """An executable script that logs its name and arguments, then runs ``body``."""
        path = self.host.path(where.lstrip('/'), name)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, 'w') as f:
            f.write('#!/bin/sh\necho "${0##*/} $*" >> %s\n%s\n' % (self.log, body))
        os.chmod(path, 0o755)
        return path

    def calls(self):
        """Each logged call as (script, event, action, state)."""
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            words = line.split()
            args = dict(zip(words[1::2], words[2::2]))
            out.append((words[0], args['-e'], args['-a'], args['-s']))
        return out


@pytest.fixture
def root(tmp_path):
    return Root(tmp_path)


def test_without_scripts_nothing_is_present_and_run_just_calls_the_function(root):
    done = []
    callouts = Callouts(root.host)
    assert not callouts.present
    assert callouts.run('define', AP, lambda: done.append(1)) is None
    assert done == [1] and callouts.ran == []
    assert callouts.get_attributes(AP) is None


def test_a_script_gets_the_mdevctl_arguments_and_the_definition_on_stdin(root):
    stdin = root.tmp / 'stdin.json'
    root.script(CALLOUTS, '10-check', 'cat > %s' % stdin)
    callouts = Callouts(root.host)
    assert callouts.present
    callouts.run('define', AP, lambda: None)
    assert json.loads(stdin.read_text()) == AP.to_json()
    # mdevctl 1.3 asks for capabilities first; the script has none (no version JSON), so it is a version 1 one
    lines = root.log.read_text().splitlines()
    assert lines[0] == '10-check -t vfio_ap-passthrough -e get -a capabilities -s none -u %s -p matrix' % UUID
    assert lines[1] == '10-check -t vfio_ap-passthrough -e pre -a define -s none -u %s -p matrix' % UUID
    assert callouts.ran == [
        {'script': CALLOUTS + '/10-check', 'event': 'get', 'action': 'capabilities', 'state': 'none', 'rc': 0},
        {'script': CALLOUTS + '/10-check', 'event': 'pre', 'action': 'define', 'state': 'none', 'rc': 0},
        {'script': CALLOUTS + '/10-check', 'event': 'post', 'action': 'define', 'state': 'success', 'rc': 0}]


def test_exit_2_means_not_my_type_and_the_next_script_handles_the_operation(root):
    root.script(CALLOUTS, '10-other-type', 'exit 2')
    root.script(CALLOUTS, '20-mine', 'exit 0')
    root.script(CALLOUTS, '30-never', 'exit 1')
    Callouts(root.host).run('start', AP, lambda: None)
    assert root.calls() == [('10-other-type', 'get', 'capabilities', 'none'), ('20-mine', 'get', 'capabilities', 'none'),
                            ('30-never', 'get', 'capabilities', 'none'), ('10-other-type', 'pre', 'start', 'none'), ('20-mine', 'pre', 'start', 'none'),
                            ('20-mine', 'post', 'start', 'success')]


def test_a_pre_refusal_raises_without_running_the_change_and_notifiers_hear_of_the_failure(root):
    root.script(CALLOUTS, '10-ap-check', 'echo "adapter 5 is in use" >&2; exit 1')
    root.script(NOTIFIERS, 'log', 'exit 0')
    done = []
    with pytest.raises(CalloutError) as exc:
        Callouts(root.host).run('define', AP, lambda: done.append(1))
    assert exc.value.msg == ('callout script %s/10-ap-check refused define of mdev %s (pre-define, exit 1): '
                             'adapter 5 is in use' % (CALLOUTS, UUID))
    assert (exc.value.path, exc.value.value) == (CALLOUTS + '/10-ap-check', UUID)
    assert exc.value.extra == {'rc': 1, 'stderr': 'adapter 5 is in use'}
    assert done == []
    assert root.calls() == [('10-ap-check', 'get', 'capabilities', 'none'), ('10-ap-check', 'pre', 'define', 'none'),
                            ('log', 'notify', 'define', 'failure')]


def test_force_goes_ahead_despite_a_refusal_and_returns_a_warning(root):
    root.script(CALLOUTS, '10-ap-check', 'case "$4" in pre) echo busy >&2; exit 1;; esac')
    done = []
    warning = Callouts(root.host).run('start', AP, lambda: done.append(1), force=True)
    assert warning == 'forced start of mdev %s despite callout %s/10-ap-check (exit 1): busy' % (UUID, CALLOUTS)
    assert done == [1]
    assert root.calls()[-1] == ('10-ap-check', 'post', 'start', 'success')


def test_a_failing_change_is_posted_as_failure_and_its_error_kept(root):
    root.script(CALLOUTS, '10-check', 'exit 0')

    def fail():
        raise RuntimeError('create failed')
    with pytest.raises(RuntimeError):
        Callouts(root.host).run('start', AP, fail)
    assert root.calls()[-1] == ('10-check', 'post', 'start', 'failure')


def test_failing_post_and_notifier_scripts_are_ignored(root):
    root.script(CALLOUTS, '10-check', 'case "$4" in post) exit 7;; esac')
    root.script(NOTIFIERS, 'a-broken', 'exit 1')
    root.script(NOTIFIERS, 'b-ok', 'exit 0')
    callouts = Callouts(root.host)
    assert callouts.run('undefine', AP, lambda: None) is None
    assert [(c['script'].rsplit('/', 1)[-1], c['rc']) for c in callouts.ran] == [
        ('10-check', 0), ('10-check', 0), ('10-check', 7), ('a-broken', 1), ('b-ok', 0)]  # capabilities first


def test_a_non_executable_file_is_not_a_script(root):
    path = root.script(CALLOUTS, '10-check', 'exit 1')
    os.chmod(path, 0o644)
    assert not Callouts(root.host).present


def test_a_script_that_times_out_is_a_callout_error_and_one_that_cannot_be_run_is_passed_over(root):
    path = root.script(CALLOUTS, '10-slow', 'exec sleep 5')
    with pytest.raises(CalloutError) as exc:
        Callouts(root.host, timeout=0.2).run('define', AP, lambda: None)
    assert exc.value.msg.startswith('callout script %s/10-slow (get-capabilities) could not run: ' % CALLOUTS)
    assert exc.value.path == CALLOUTS + '/10-slow'
    with open(path, 'w') as f:
        f.write('not a script\x00')
    done = []
    callouts = Callouts(root.host)
    callouts.run('define', AP, lambda: done.append(1))  # mdevctl passes over a script it cannot start
    assert done == [1] and callouts.ran == []


def test_get_attributes_returns_what_the_script_prints(root):
    root.script(CALLOUTS, '10-ap', 'echo \'[{"assign_adapter": "0x5"}, {"assign_domain": "0x4"}]\'')
    assert Callouts(root.host).get_attributes(AP) == [{'assign_adapter': '0x5'}, {'assign_domain': '0x4'}]
    assert root.calls() == [('10-ap', 'get', 'capabilities', 'none'), ('10-ap', 'get', 'attributes', 'none')]


@pytest.mark.parametrize('output, expected', [('[{}]', []), ('', None)])
def test_get_attributes_of_an_empty_answer(root, output, expected):
    root.script(CALLOUTS, '10-ap', 'printf %%s \'%s\'' % output)
    assert Callouts(root.host).get_attributes(AP) == expected


def test_get_attributes_that_are_not_json_or_fail_are_callout_errors(root):
    root.script(CALLOUTS, '10-ap', 'echo "adapter: 5"')
    with pytest.raises(CalloutError) as exc:
        Callouts(root.host).get_attributes(AP)
    assert exc.value.msg == "callout script %s/10-ap returned attributes that are not JSON: 'adapter: 5'" % CALLOUTS
    root.script(CALLOUTS, '10-ap', 'echo no device >&2; exit 3')
    with pytest.raises(CalloutError) as exc:
        Callouts(root.host).get_attributes(AP)
    assert 'refused attributes of mdev %s (get-attributes, exit 3): no device' % UUID in exc.value.msg


def test_a_version_2_script_that_supports_live_modify_carries_it_out(root):
    caps = json.dumps({'supports': {'version': 2, 'actions': ['modify'], 'events': ['live']}})
    root.script(CALLOUTS, '10-old', 'echo "{}"')  # answers, but without version 2 capabilities
    path = root.script(CALLOUTS, '20-live', 'case "$4" in get) echo \'%s\';; live) exit 0;; esac' % caps)
    root.script(NOTIFIERS, 'log', 'exit 0')
    callouts = Callouts(root.host)
    assert callouts.supports_live(AP) == path
    callouts.live(path, AP)
    assert root.calls()[-2:] == [('20-live', 'live', 'modify', 'none'), ('log', 'notify', 'modify', 'success')]


def test_no_script_supports_live_and_a_refused_live_modify_raises(root):
    path = root.script(CALLOUTS, '10-ap', 'echo "not json"; exit 1')
    callouts = Callouts(root.host)
    assert callouts.supports_live(AP) is None
    with pytest.raises(CalloutError) as exc:
        callouts.live(path, AP)
    assert exc.value.msg.startswith('callout script %s/10-ap refused modify of mdev %s (live-modify, exit 1)'
                                    % (CALLOUTS, UUID))
