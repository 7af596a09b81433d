"""entry_options: a ``devices`` entry's suboptions are the task's own options, without defaults."""

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import entry_options

SPEC = {
    'driver': {'type': 'str', 'aliases': ['drv'], 'required': True},
    'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
    'persistent': {'type': 'bool', 'default': True},
    'timeout': {'type': 'int', 'default': 10},
}


def test_entry_options_keep_type_choices_and_aliases_but_drop_default_and_required():
    assert entry_options(SPEC, ['driver', 'state']) == {
        'driver': {'type': 'str', 'aliases': ['drv']},
        'state': {'type': 'str', 'choices': ['present', 'absent']},
    }


def test_entry_options_mark_only_the_named_keys_required():
    out = entry_options(SPEC, ['driver', 'persistent'], required=('persistent',))
    assert out == {'driver': {'type': 'str', 'aliases': ['drv']},
                   'persistent': {'type': 'bool', 'required': True}}


def test_entry_options_take_only_the_listed_keys_and_leave_the_task_spec_alone():
    before = dict((k, dict(v)) for k, v in SPEC.items())
    out = entry_options(SPEC, ['timeout'])
    out['timeout']['type'] = 'changed'
    assert list(out) == ['timeout']
    assert SPEC == before
