"""Hold the simulated host to the kernel: compare two conformance probe outputs.

    python3 compare.py KERNEL.json SIM.json KNOWN_DIFFERENCES.md

Every key whose values differ must be listed in KNOWN_DIFFERENCES.md (a line starting with
``- `key` ``) with the reason; an unlisted difference fails. Keys starting with
``kernel_only.`` are what only a real kernel can show (uevents) and must be truthy there.
"""

import json
import re
import sys


def main():
    """Print the comparison; exit 1 on an unexplained difference."""
    with open(sys.argv[1]) as f:
        kernel = json.load(f)
    with open(sys.argv[2]) as f:
        sim = json.load(f)
    with open(sys.argv[3]) as f:
        known = set(re.findall(r'^- `([^`]+)`', f.read(), re.M))
    bad = 0
    for key in sorted(set(kernel) | set(sim)):
        if key.startswith('kernel_only.'):
            ok = bool(kernel.get(key))
            print('%-4s %-36s kernel=%r' % ('ok' if ok else 'FAIL', key, kernel.get(key)))
            bad += not ok
            continue
        k, s = kernel.get(key, '<missing>'), sim.get(key, '<missing>')
        if k == s:
            print('same %-36s %r' % (key, k))
        elif key in known:
            print('known %-35s kernel=%r sim=%r' % (key, k, s))
        else:
            print('DIFF %-36s kernel=%r sim=%r' % (key, k, s))
            bad += 1
    print('%d unexplained difference(s)' % bad)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
