"""Hold the simulated host to the kernel: compare two conformance probe outputs.

    python3 compare.py KERNEL.json SIM.json KNOWN_DIFFERENCES.md [LABEL]

Every key whose values differ must be listed in KNOWN_DIFFERENCES.md (a line starting with
``- `key` ``) with the reason; an unlisted difference fails. Keys starting with
``kernel_only.`` are what only a real kernel can show (uevents) and must be truthy there.
A listed key whose values are now equal is reported as stale (not a failure). The last line
counts the observations compared; fewer than 10 fails (the probe did not run).
"""

import json
import re
import sys


def short(value):
    """repr() cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 160 else '%s...(%d chars)' % (text[:150], len(text))


def main():
    """Print the comparison; exit 1 on an unexplained difference."""
    with open(sys.argv[1]) as f:
        kernel = json.load(f)
    with open(sys.argv[2]) as f:
        sim = json.load(f)
    with open(sys.argv[3]) as f:
        known = set(re.findall(r'^- `([^`]+)`', f.read(), re.M))
    bad = same = listed = 0
    stale = []
    keys = sorted(set(kernel) | set(sim))
    for key in keys:
        if key.startswith('kernel_only.'):
            ok = bool(kernel.get(key))
            print('%-4s %-36s kernel=%r' % ('ok' if ok else 'FAIL', key, kernel.get(key)))
            bad += not ok
            continue
        k, s = kernel.get(key, '<missing>'), sim.get(key, '<missing>')
        if k == s:
            print('same %-36s %s' % (key, short(k)))
            same += 1
            if key in known:
                stale.append(key)
        elif key in known:
            print('known %-35s kernel=%s sim=%s' % (key, short(k), short(s)))
            listed += 1
        else:
            print('DIFF %-36s kernel=%s sim=%s' % (key, short(k), short(s)))
            bad += 1
    label = sys.argv[4] if len(sys.argv) > 4 else 'conformance'
    if stale:
        print('listed in KNOWN_DIFFERENCES.md but equal now (stale?): %s' % ', '.join(stale))
    print('%s: %d observations compared: %d same, %d known differences, %d unexplained difference(s)'
          % (label, len(keys), same, listed, bad))
    if len(keys) < 10:
        print('%s: too few observations: the probe did not run' % label)
        return 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
