"""Time commands alternately; print {label: [seconds, ...]} as JSON (run by harness.compare).

Runs inside the benchmark's mount namespace, so the timed span is the command alone: no
namespace set-up, no interpreter of ours around the real tools.
"""

import json
import subprocess
import sys
import time


def once(argvs):
    """Wall time of one run of the commands in turn; a failing command ends the measurement."""
    start = time.perf_counter()
    for argv in argvs:
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if proc.returncode != 0:
            sys.exit('%s exited %d: %s' % (' '.join(argv), proc.returncode, proc.stderr.decode()[-2000:]))
    return time.perf_counter() - start


def main():
    """Warm up each command, then run them in turn ``repeat`` times."""
    spec = json.loads(sys.argv[1])
    # a label names one command line or a list of them, timed together
    commands = dict((label, argv if isinstance(argv[0], list) else [argv])
                    for label, argv in spec['commands'].items())
    for _run in range(spec['warmup']):
        for argv in commands.values():
            once(argv)
    times = dict((label, []) for label in commands)
    for _run in range(spec['repeat']):
        for label, argv in commands.items():
            times[label].append(once(argv))
    json.dump(times, sys.stdout)


if __name__ == '__main__':
    main()
