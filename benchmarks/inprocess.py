"""Time a module's main() in-process, and the exit_json inside it; print JSON (run by the benchmarks).

    VFIO_PASSTHROUGH_ROOT=ROOT python benchmarks/inprocess.py MODULE ARGS_JSON REPEAT

Prints {"first": s, "main": [s, ...], "exit_json": [s, ...], "result_bytes": n}: the first run (what a
module process pays: its lazy imports included), then the module's own work without Python start-up
and imports (after that warm-up run), and what AnsibleModule.exit_json costs on the
module's result (argument-spec no_log scrubbing, JSON encoding, the write to stdout).
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tests'))

from ansible.module_utils import basic  # noqa: E402  (after the path set-up)
from support.inprocess import run_module  # noqa: E402


def main():
    """Warm up, then time ``repeat`` runs."""
    name, args, repeat = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    spent = []
    original = basic.AnsibleModule.exit_json

    def timed_exit_json(self, **kwargs):
        start = time.perf_counter()
        try:
            original(self, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    basic.AnsibleModule.exit_json = timed_exit_json
    times, exits, size, first = [], [], 0, None
    for run in range(repeat + 1):
        del spent[:]
        start = time.perf_counter()
        result = run_module(name, args)
        elapsed = time.perf_counter() - start
        if result.get('failed'):
            sys.exit('%s failed: %s' % (name, result.get('msg')))
        if not run:
            first = elapsed
        else:
            times.append(elapsed)
            exits.append(spent[-1])
        size = len(json.dumps(result))
    json.dump({'first': first, 'main': times, 'exit_json': exits, 'result_bytes': size}, sys.stdout)


if __name__ == '__main__':
    main()
