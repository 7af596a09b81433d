"""Run one module in-process and SIGKILL it at its Nth write step.

    python killer.py N MODULE JSON_ARGS

The write steps counted are the file system calls that change something: os.write (every sysfs
store), os.fsync, os.rename, os.replace, os.link, os.unlink, os.symlink and os.mkdir. Just before
the Nth one the process kills itself, as a crash or an OOM kill would. Prints COMPLETED and the
number of steps when the module finished before step N.
"""

import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/, run as a script
from support.inprocess import run_module  # noqa: E402

STEPS = ('write', 'fsync', 'rename', 'replace', 'link', 'unlink', 'symlink', 'mkdir')


def main():
    """Wrap the calls, run the module, report."""
    target, name, args = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    count = [0]

    def wrap(func):
        def counted(*a, **kw):
            count[0] += 1
            if count[0] == target:
                os.kill(os.getpid(), signal.SIGKILL)
            return func(*a, **kw)
        return counted
    for step in STEPS:
        setattr(os, step, wrap(getattr(os, step)))
    result = run_module(name, args)
    print('COMPLETED %d %s' % (count[0], json.dumps(result.get('failed', False))))


if __name__ == '__main__':
    main()
