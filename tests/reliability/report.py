"""Run the reliability and functional suites and write docs/reliability.md with their figures.

    .venv/bin/python tests/reliability/report.py      (make reliability)
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMAND = 'make reliability'


def main():
    """Run, collect, render; exit with pytest's status."""
    fd, stats_file = tempfile.mkstemp(suffix='.json')
    os.close(fd)
    env = dict(os.environ, RELIABILITY_STATS=stats_file)
    proc = subprocess.run([sys.executable, '-m', 'pytest', '-q', 'tests/reliability', 'tests/functional'],
                          cwd=REPO, env=env, check=False)
    with open(stats_file) as f:
        s = json.load(f)
    os.unlink(stats_file)
    steps = ''.join('| %s | %d |\n' % (k, v) for k, v in sorted(s['kill_scenarios'].items()))
    text = '''# Reliability

Produced by `%s` on %s (%s, Python %s): %d tests, %d failed.

| what was proved | figure |
| --- | --- |
| malformed argument sets, generated (hypothesis) across every module and option: each ends in a clean \
failure naming the option or value, no traceback, and the write log and /etc show no write | %d cases |
| SIGKILL injected at a write step (every step of each scenario below): every config file was the old \
or the new valid file, and a re-run converged and then reported no change | %d kills |
| check-mode twin run before every changing module call of the functional suite: no write (sysfs log, \
/etc, /usr, /run unchanged) and the same `changed` as the real run | %d calls |

Write steps per scenario (each one was a kill point):

| scenario | write steps |
| --- | --- |
%s
Also proved by the suite: two `ansible-playbook` runs at once against one host (same and different
devices) leave every definition present and valid, serialised by `/run/lock/vfio-passthrough.lock`
and s390-tools' `/run/lock/s390apconfig.lock` (PID lock files, stale locks taken over; callouts such
as `ap-check` see the AP lock held by their parent); a start whose third attribute the kernel refuses
leaves no device; a bind that does not take leaves the previous driver bound and says so; definition
files with unknown keys, no `attrs`, invalid JSON or UTF-8, a directory or a symlink in the way are
reported (`mdev_info` `problems`), never overwritten silently and never a crash.
''' % (COMMAND, datetime.date.today().isoformat(), platform.machine(), platform.python_version(), s['tests'],
       s['failed'], s['bad_input_cases'], s['kills'], s['check_mode_twins'], steps)
    with open(os.path.join(REPO, 'docs', 'reliability.md'), 'w') as f:
        f.write(text)
    print(text)
    return proc.returncode


if __name__ == '__main__':
    sys.exit(main())
