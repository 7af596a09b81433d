"""Bad input, generated: every module, every option, thousands of malformed values.

Each case must end in a clean failure that names the bad option or value, never a traceback,
and nothing may be written: the simulated host's write log stays empty and /etc untouched.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import stats
from support.inprocess import run_module
from support.sim import Sim

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
# A valid task per module; one option at a time is replaced by something malformed.
VALID = {
    'driver_override': {'bus': 'css', 'device': '0.0.0313', 'driver': 'vfio_ccw'},
    'driver_override_info': {'bus': ['css'], 'devices': ['0.0.0313']},
    'mdev': {'uuid': UUID, 'parent': 'matrix', 'type': 'vfio_ap-passthrough',
             'attrs': [{'assign_adapter': '5'}, {'assign_domain': '4'}]},
    'mdev_info': {'uuid': UUID, 'parent': 'matrix', 'type': 'vfio_ap-passthrough'},
    'mdev_validate': {'fail_on_conflict': False},
    'ap_masks': {'adapters': [6], 'domains': ['0x10']},
    'ccw_info': {'devices': ['0.0.2b09']},
    'cio_ignore': {'devices': ['0.0.2c01']},
}
NAME_FIELDS = {
    'driver_override': ['bus', 'device', 'driver'],
    'mdev': ['uuid', 'parent', 'type'],
    'mdev_info': ['uuid', 'parent', 'type'],
}
LIST_FIELDS = {
    'driver_override_info': ['bus', 'devices'],
    'ap_masks': ['adapters', 'domains'],
    'ccw_info': ['devices'],
    'cio_ignore': ['devices'],
}
BOOL_FIELDS = {
    'driver_override': ['persistent', 'probe'], 'mdev': ['persistent', 'live', 'force', 'validate'],
    'mdev_validate': ['fail_on_conflict'], 'ap_masks': ['persistent', 'exclusive'],
}
CHOICE_FIELDS = {'driver_override': ['state'], 'mdev': ['state', 'autostart'], 'ap_masks': ['state'],
                 'cio_ignore': ['state']}

# Names that can never be valid: path tricks, control characters, padding, emptiness, size.
bad_text = st.one_of(
    st.builds(lambda a, b: a + '/' + b, st.text(max_size=8), st.text(max_size=8)),
    st.sampled_from(['..', '.', '', ' ', '../etc', 'a/../../b', '/sys/bus', '\x00', 'x\x00y', 'a\nb', 'a\rb']),
    st.builds(lambda s: ' ' + s, st.text(min_size=1, max_size=10)),
    st.builds(lambda s: s + '\n', st.text(min_size=1, max_size=10)),
    st.text(min_size=256, max_size=600).map(lambda s: 'x' + s),
    st.builds(lambda s: s + '\x00', st.text(max_size=10)),
)
bad_shape = st.one_of(st.lists(st.integers(), min_size=1, max_size=3), st.dictionaries(st.text(max_size=3),
                                                                                       st.integers(), min_size=1))
bad_attrs = st.one_of(
    st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), min_size=1),
    st.lists(st.text(max_size=5), min_size=1, max_size=3),
    st.lists(st.fixed_dictionaries({'assign_adapter': st.just('5'), 'assign_domain': st.just('4')}), min_size=1),
    st.lists(st.dictionaries(bad_text, st.just('1'), min_size=1, max_size=1), min_size=1, max_size=2),
    st.lists(st.dictionaries(st.just('assign_adapter'), st.one_of(bad_shape, st.booleans(), st.none()),
                             min_size=1, max_size=1), min_size=1, max_size=2),
    st.lists(st.dictionaries(st.just('assign_domain'), st.text(min_size=1, max_size=5).map(lambda s: s + '\n'),
                             min_size=1, max_size=1), min_size=1, max_size=2),
)
bad_ids = st.one_of(st.integers(min_value=256, max_value=10 ** 6), st.integers(max_value=-1),
                    st.text(max_size=6).filter(lambda s: not s.strip().lstrip('-').isalnum()), st.just('0x100'),
                    st.just('7-3'), st.dictionaries(st.text(max_size=2), st.integers(), min_size=1))


def cases():
    """(module, option, bad value) triples."""
    choices = []
    for module, fields in NAME_FIELDS.items():
        choices.append(st.tuples(st.just(module), st.sampled_from(fields), st.one_of(bad_text, bad_shape)))
    for module, fields in LIST_FIELDS.items():
        # (a bare number is a valid device number, so list elements are malformed text or mappings)
        element = bad_ids if module == 'ap_masks' else st.one_of(
            bad_text, st.dictionaries(st.text(max_size=3), st.integers(), min_size=1))
        choices.append(st.tuples(st.just(module), st.sampled_from(fields),
                                 st.one_of(st.lists(element, min_size=1, max_size=3), element)))
    for module, fields in BOOL_FIELDS.items():
        choices.append(st.tuples(st.just(module), st.sampled_from(fields),
                                 st.one_of(st.sampled_from(['maybe', 'yess', '2', 'nope']), bad_shape)))
    for module, fields in CHOICE_FIELDS.items():
        choices.append(st.tuples(st.just(module), st.sampled_from(fields), st.one_of(bad_text, st.just('sometimes'))))
    choices.append(st.tuples(st.just('mdev'), st.sampled_from(['attrs', 'attrs_add']), bad_attrs))
    choices.append(st.tuples(st.sampled_from(sorted(VALID)), st.text(min_size=1, max_size=12).map(
        lambda s: 'unknown_' + ''.join(c for c in s if c.isalnum())), st.integers()))
    return st.one_of(choices)


@pytest.fixture(scope='module')
def quiet_seed(tmp_path_factory):
    """One seed host for all the cases (none of them may write)."""
    sim = Sim(tmp_path_factory.mktemp('bad-input') / 'root', 'seed').start()
    old = os.environ.get('VFIO_PASSTHROUGH_ROOT')
    os.environ['VFIO_PASSTHROUGH_ROOT'] = sim.root
    yield sim
    sim.stop()
    if old is None:
        os.environ.pop('VFIO_PASSTHROUGH_ROOT', None)
    else:
        os.environ['VFIO_PASSTHROUGH_ROOT'] = old


TRIED = stats.BAD_INPUT  # {'cases': 0}, in the reliability figures


def names_it(msg, result, field, value):
    """True if the failure names the option, or the offending value (or an element of it)."""
    if field in msg or field == result.get('field'):
        return True
    for v in (value if isinstance(value, list) else [value]):
        for text in (str(v)[:20], repr(v)[1:21]):
            if text and text in msg:
                return True
    return False


@settings(max_examples=2400, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=cases())
def test_malformed_argument_fails_cleanly_and_writes_nothing(quiet_seed, case):
    module, field, value = case
    args = dict(VALID[module])
    args[field] = value
    etc = quiet_seed.snapshot()
    result = run_module(module, args)
    TRIED['cases'] += 1
    assert result.get('failed'), (module, field, value, result)
    msg = result['msg']
    assert msg and 'Traceback' not in msg
    assert names_it(msg, result, field, value), (module, field, value, msg)
    assert quiet_seed.writes() == [], (module, field, value)
    assert quiet_seed.snapshot() == etc


def test_enough_cases_were_tried():
    assert TRIED['cases'] >= 2000, TRIED
