"""The mdev state machine as a table: request and current state in, steps out (no FUSE, no files)."""

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.config import Definition
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.state import predict, steps, targets

U = '7e270a25-e163-4922-af60-757fc8ed48c6'
OLD = Definition(U, '0.0.0313', 'vfio_ccw-io', 'manual')
NEW = Definition(U, '0.0.0313', 'vfio_ccw-io', 'auto')
RUN = ('0.0.0313', 'vfio_ccw-io')

# state, persistent, before, running -> step names (desired is NEW throughout)
TABLE = [
    ('defined', True, None, None, ['define']),
    ('defined', True, OLD, None, ['modify']),
    ('defined', True, NEW, None, []),
    ('defined', True, None, RUN, ['define']),
    ('defined', True, NEW, RUN, []),
    ('started', True, None, None, ['define', 'start']),
    ('started', True, NEW, None, ['start']),
    ('started', True, NEW, RUN, []),
    ('started', False, None, None, ['start']),
    ('started', False, OLD, None, ['start']),
    ('started', False, None, RUN, []),
    ('stopped', True, NEW, RUN, ['stop']),
    ('stopped', True, OLD, RUN, ['modify', 'stop']),
    ('stopped', True, None, RUN, ['define', 'stop']),
    ('stopped', False, None, RUN, ['stop']),
    ('stopped', True, NEW, None, []),
    ('absent', True, NEW, RUN, ['undefine', 'stop']),
    ('absent', True, NEW, None, ['undefine']),
    ('absent', True, None, RUN, ['stop']),
    ('absent', True, None, None, []),
]


@pytest.mark.parametrize('state, persistent, before, running, expected', TABLE)
def test_steps_table(state, persistent, before, running, expected):
    want_def, want_running = targets(state, persistent, True, before, running, NEW)
    got, warnings = steps(before, running, want_def, want_running, NEW, live=False)
    assert [name for name, _d in got] == expected
    assert warnings == []


@pytest.mark.parametrize('state, persistent, before, running, expected', TABLE)
def test_prediction_is_the_targets(state, persistent, before, running, expected):
    want_def, want_running = targets(state, persistent, True, before, running, NEW)
    got, _w = steps(before, running, want_def, want_running, NEW, live=False)
    assert predict(before, running, got) == (want_def, RUN if want_running else None)


def test_files_come_before_the_running_device_is_touched():
    got, _w = steps(NEW, RUN, None, False, NEW, live=False)
    assert [name for name, _d in got] == ['undefine', 'stop']


def test_a_stop_keeps_the_device_as_it_runs_for_the_undo():
    running_def = NEW.copy(attrs=[('assign_adapter', '5')])
    got, _w = steps(NEW, RUN, NEW, False, NEW, live=False, running_def=running_def)
    assert got == [('stop', running_def)]


def test_stopped_without_type_keeps_no_definition_it_cannot_write():
    assert targets('stopped', True, False, None, RUN, NEW) == (None, False)


def test_changed_attrs_of_a_running_device_need_live():
    old = Definition(U, 'matrix', 'vfio_ap-passthrough', attrs=[('assign_adapter', '5')])
    new = old.copy(attrs=[('assign_adapter', '6')])
    got, warnings = steps(old, ('matrix', 'vfio_ap-passthrough'), new, True, new, live=False)
    assert got == [('modify', new)] and 'use live: true' in warnings[0]
    got, warnings = steps(old, ('matrix', 'vfio_ap-passthrough'), new, True, new, live=True)
    assert got == [('modify', new), ('live', new)] and warnings == []


def test_a_running_matrix_that_differs_is_asked_only_when_the_device_keeps_running():
    asked = []

    def differs():
        asked.append(1)
        return True
    got, warnings = steps(NEW, RUN, NEW, True, NEW, live=True, running_differs=differs)
    assert got == [('live', NEW)] and asked == [1]
    steps(NEW, RUN, None, False, NEW, live=True, running_differs=differs)
    assert asked == [1]
