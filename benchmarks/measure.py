"""Time commands alternately; print {label: [seconds, ...]} as JSON (run by harness.compare).

Runs inside the benchmark's mount namespace, so the timed span is the command alone: no
namespace set-up, no interpreter of ours around the real tools.
"""

import json
import os
import subprocess
import sys
import time


def once(argvs, env=None):
    """Wall time of one run of the commands in turn; a failing command ends the measurement."""
    start = time.perf_counter()
    for argv in argvs:
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=env)
        if proc.returncode != 0:
            sys.exit('%s exited %d: %s' % (' '.join(argv), proc.returncode, proc.stderr.decode()[-2000:]))
    return time.perf_counter() - start


def main():
    """Warm up each command, then run them in turn ``repeat`` times."""
    spec = json.loads(sys.argv[1])
    # a label names one command line or a list of them, timed together
    commands = dict((label, argv if isinstance(argv[0], list) else [argv])
                    for label, argv in spec['commands'].items())
    # a label may run with variables of its own (a module pointed at another root: the floor in the same run)
    envs = dict((label, dict(os.environ, **extra)) for label, extra in (spec.get('envs') or {}).items())
    for _run in range(spec['warmup']):
        for label, argv in commands.items():
            once(argv, envs.get(label))
    times = dict((label, []) for label in commands)
    for _run in range(spec['repeat']):
        for label, argv in commands.items():
            times[label].append(once(argv, envs.get(label)))
    json.dump(times, sys.stdout)


if __name__ == '__main__':
    main()
