"""The reliability counters: test modules count into them, pytest_sessionfinish writes them out.

Each counter is a dict updated in place; tests/reliability/report.py renders the JSON ``write`` makes.
"""

import json

CHECK_TWINS = {'calls': 0}  # check-mode twins run before a changing module call (conftest's module fixture)
BAD_INPUT = {'cases': 0}  # malformed argument sets tried (test_bad_input)
CRASH = {'kills': 0, 'scenarios': 0, 'steps': {}}  # kills injected and write steps per scenario (test_crash)


def figures(tests, failed):
    """The figures of this run, by the names report.py reads."""
    return {
        'check_mode_twins': CHECK_TWINS['calls'],
        'bad_input_cases': BAD_INPUT['cases'],
        'kills': CRASH['kills'],
        'kill_scenarios': dict(CRASH['steps']),
        'tests': tests, 'failed': failed,
    }


def write(path, tests, failed):
    """Write this run's figures to ``path`` as JSON."""
    with open(path, 'w') as f:
        json.dump(figures(tests, failed), f, indent=1)
