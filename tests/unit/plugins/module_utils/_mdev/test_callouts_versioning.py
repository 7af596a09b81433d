"""mdevctl 1.3's choice of callout script: capabilities read as serde reads them, the versioned script alone."""

import json

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import CalloutError
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.callouts import Callouts, parse_capabilities

from .test_callouts import AP, CALLOUTS, Root  # noqa: F401  (the fixture's helper)


@pytest.fixture
def root(tmp_path):
    return Root(tmp_path)


def v(version=2, actions=('define',), events=('pre',)):
    return {'version': version, 'actions': list(actions), 'events': list(events)}


@pytest.mark.parametrize('text, expected', [
    (json.dumps({'supports': v()}), v()),
    (json.dumps({'supports': v()}) + '\n\x00\x00', v()),
    (json.dumps({'supports': v(), 'other': 1}), v()),
    (json.dumps({'supports': v(actions=['define', 'Frobnicate'])}), v(actions=['define', 'Frobnicate'])),
    (json.dumps({'supports': v(version=0)}), v(version=0)),
    (json.dumps([v()]), v()),  # serde reads a struct from an array of its fields too
    (json.dumps({'supports': [2, ['define'], ['pre']]}), v()),
    (json.dumps({'supports': v(events=[{'pre': None}])}), v()),
    (json.dumps({'supports': v(version=2.0)}), None),
    (json.dumps({'supports': v(version=-1)}), None),
    (json.dumps({'supports': v(version=2 ** 32)}), None),
    (json.dumps({'supports': v(version=True)}), None),
    (json.dumps({'supports': {'version': 2, 'actions': []}}), None),
    (json.dumps({'supports': v(actions=[5])}), None),
    (json.dumps({'supports': None}), None),
    (json.dumps({'provides': v()}), None),
    ('{"supports": %s, "supports": %s}' % (json.dumps(v()), json.dumps(v())), None),
    (json.dumps({'supports': v()}) + '\x00\n', None),
    ('', None), ('null', None), ('[]', None),
])
def test_capabilities_are_read_as_mdevctl_reads_them(text, expected):
    assert parse_capabilities(text) == expected


def test_the_versioned_script_is_asked_once_per_parent_and_type(root):
    caps = json.dumps({'supports': v(actions=['define', 'start'], events=['pre', 'post'])})
    root.script(CALLOUTS, '10-v2', 'case "$4" in get) echo \'%s\';; esac' % caps)
    callouts = Callouts(root.host)
    callouts.run('define', AP, lambda: None)
    callouts.run('start', AP, lambda: None)
    assert [c[1:3] for c in root.calls()] == [
        ('get', 'capabilities'), ('pre', 'define'), ('post', 'define'), ('pre', 'start'), ('post', 'start')]


def test_get_attributes_needs_the_versioned_script_to_declare_it(root):
    caps = json.dumps({'supports': v(actions=['define'], events=['pre'])})
    root.script(CALLOUTS, '10-v2', 'case "$6" in capabilities) echo \'%s\';; *) echo "[]";; esac' % caps)
    root.script(CALLOUTS, '20-v1', 'echo \'[{"a": "1"}]\'')
    with pytest.raises(CalloutError) as exc:
        Callouts(root.host).get_attributes(AP)
    assert 'does not support get-attributes' in exc.value.msg


def test_live_is_not_looked_for_past_the_versioned_script(root):
    root.script(CALLOUTS, '10-v2', 'echo \'%s\'' % json.dumps({'supports': v(actions=['modify'], events=['pre'])}))
    root.script(CALLOUTS, '20-live', 'echo \'%s\'' % json.dumps({'supports': v(actions=['modify'], events=['live'])}))
    assert Callouts(root.host).supports_live(AP) is None


def test_a_failing_pre_leaves_the_post_to_be_looked_up_again(root):
    root.script(CALLOUTS, '10-refuse', 'case "$4" in pre) exit 1;; post) exit 2;; esac')
    root.script(CALLOUTS, '20-post', 'exit 0')
    warning = Callouts(root.host).run('stop', AP, lambda: None, force=True)
    assert warning.startswith('forced stop of mdev')
    assert [c[0:2] for c in root.calls()][-3:] == [('10-refuse', 'pre'), ('10-refuse', 'post'), ('20-post', 'post')]


@pytest.mark.parametrize('output, expected', [('[{}]', []), ('', None), ('null', None), ('[{"a": "1"}]\x00', [{'a': '1'}])])
def test_get_attributes_answers_as_mdevctl_reads_them(root, output, expected):
    root.script(CALLOUTS, '10-ap', 'case "$6" in attributes) printf %%s \'%s\';; esac' % output)
    assert Callouts(root.host).get_attributes(AP) == expected


@pytest.mark.parametrize('answer', ['{"a": "1"}', '5', '"x"', 'true'])
def test_get_attributes_that_are_not_a_list_are_a_callout_error(root, answer):
    root.script(CALLOUTS, '10-ap', "case \"$6\" in attributes) printf %%s '%s';; esac" % answer)
    with pytest.raises(CalloutError, match='not a list'):
        Callouts(root.host).get_attributes(AP)
