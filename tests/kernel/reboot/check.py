"""The reboot lab's judge: what the guest showed before and after its reboot, per variant.

    check.py RUNDIR VARIANT...   (VARIANT: tools or bare)

Reads RUNDIR/VARIANT/{state-configured,state-after}.json (state.py in the guest), results-{1,2}.json
(the playbook's module results) and playbook-{1,2}.{log,rc}. Prints one PASS/FAIL line per check and
ends with 'N passed, N failed'; exits 1 on any failure or missing record.
"""
import json
import os
import re
import sys

PERSISTENT_PCI = ('0000:00:02.0', '0000:00:03.0')
TRANSIENT_PCI = '0000:00:04.0'
TRANSIENT_NATIVE = 'e1000e'   # what 0000:00:04.0 has without an override
AUTO = ('0b7fd4c2-3a61-4c1e-9a57-0d5e5a1a0001', 'mtty-2')
MANUAL = ('0b7fd4c2-3a61-4c1e-9a57-0d5e5a1a0002', 'mtty-1')
TRANSIENT_MDEV = ('0b7fd4c2-3a61-4c1e-9a57-0d5e5a1a0003', 'mtty-1')
# What applies the persisted configuration at boot, per variant: result keys boot_apply (driver_override)
# and boot_start (mdev). Debian 12's mdevctl 1.2.0 installs /usr/bin/mdevctl while its udev rule runs
# /usr/sbin/mdevctl, so it never starts a device at boot: the collection sees it, warns and starts them itself.
EXPECT = {
    'tools': {'packages': True, 'boot_apply': 'driverctl', 'boot_start': 'builtin',
              'warning': '/usr/sbin/mdevctl, which does not exist', 'early': True},
    'bare': {'packages': False, 'boot_apply': 'builtin', 'boot_start': 'builtin'},
}
# Early binding by id (the vfio_pci role, tools variant): the e1000 at 00:07.0, unique in the guest
EARLY_PCI = '0000:00:07.0'
EARLY_ID = '8086:100e'
EARLY_CONF = ['options vfio-pci ids=8086:100e', 'softdep e1000 pre: vfio-pci']
TITLE = {'tools': 'with driverctl and mdevctl', 'bare': 'without driverctl and mdevctl'}
OURS = re.compile(r'driverctl|mdevctl|vfio-passthrough')

passed = failed = 0


def check(variant, what, ok, detail=''):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print('%s  [%s] %s%s' % ('PASS' if ok else 'FAIL', variant, what, (': ' + detail) if detail else ''))
    return ok


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def recap(log):
    """(ok, changed, failed) of the guest in the play recap, or None."""
    m = re.search(r'^guest\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', log or '', re.M)
    return tuple(int(x) for x in m.groups()) if m else None


def mdev_running(state, uuid, mtype):
    m = state['mdevs'].get(uuid)
    return m is not None and m['mdev_type'] == mtype and m['parent'] == 'mtty', m


def judge(run, v):
    d = os.path.join(run, v)
    exp = EXPECT[v]
    before = load(os.path.join(d, 'state-configured.json'))
    after = load(os.path.join(d, 'state-after.json'))
    res1 = load(os.path.join(d, 'results-1.json'))
    res2 = load(os.path.join(d, 'results-2.json'))
    log1 = text(os.path.join(d, 'playbook-1.log'))
    log2 = text(os.path.join(d, 'playbook-2.log'))
    print('--- %s (%s)' % (v, TITLE[v]))

    # The playbook, before the reboot.
    rc1 = text(os.path.join(d, 'playbook-1.rc'))
    r1 = recap(log1)
    check(v, 'playbook ran without failures before the reboot', rc1 == '0' and r1 is not None and r1[2] == 0,
          'rc %s, recap %s' % (rc1, r1))
    if res1:
        got = res1['override'].get('boot_apply')
        check(v, 'driver_override reports boot_apply %s' % exp['boot_apply'], got == exp['boot_apply'], 'got %r' % got)
        got = res1['auto'].get('boot_start', '<no boot_start key in the result>')
        check(v, 'mdev reports boot_start %s' % exp['boot_start'], got == exp['boot_start'], 'got %r' % got)
        if exp.get('warning'):
            said = res1['auto'].get('warnings') or []
            check(v, 'mdev warns that mdevctl would not start auto devices at boot',
                  any(exp['warning'] in w for w in said), 'warnings %r' % said)
    else:
        check(v, 'module results of the first run', False, 'missing')
    if before is None:
        check(v, 'guest state after the playbook', False, 'missing')
    else:
        check(v, 'driverctl and mdevctl %s' % ('installed' if exp['packages'] else 'purged'),
              all(x == exp['packages'] for x in before['packages'].values()), str(before['packages']))
        for dev in PERSISTENT_PCI + (TRANSIENT_PCI,):
            got = before['pci'].get(dev, {}).get('driver')
            check(v, 'before the reboot: %s bound to vfio-pci' % dev, got == 'vfio-pci', 'driver %s' % got)
        for uuid, mtype in (AUTO, MANUAL, TRANSIENT_MDEV):
            ok, m = mdev_running(before, uuid, mtype)
            check(v, 'before the reboot: mdev %s (%s) runs' % (uuid[-4:], mtype), ok, str(m))
        want = dict(('pci-' + dev, 'vfio-pci') for dev in PERSISTENT_PCI)
        check(v, 'persisted overrides are exactly /etc/driverctl.d/pci-0000:00:0{2,3}.0 = vfio-pci',
              before['driverctl_d'] == want, str(before['driverctl_d']))
        defs = dict((k, (x.get('start'), x.get('mdev_type'), x.get('parent'))) for k, x in before['mdevctl_d'].items())
        want = {AUTO[0]: ('auto', AUTO[1], 'mtty'), MANUAL[0]: ('manual', MANUAL[1], 'mtty')}
        check(v, 'mdev definitions are exactly the auto and the manual one', defs == want, str(defs))

    # After the reboot: the state before anything was run again.
    if after is None:
        check(v, 'guest state after the reboot', False, 'missing')
    else:
        check(v, 'the guest rebooted (new boot id)', before is not None and after['boot_id'] != before['boot_id'],
              'uptime %.0fs at the check' % after['uptime'])
        for dev in PERSISTENT_PCI:
            p = after['pci'].get(dev, {})
            check(v, 'after the reboot: persistent override %s bound to vfio-pci from boot' % dev,
                  p.get('driver') == 'vfio-pci' and p.get('driver_override') == 'vfio-pci',
                  'driver %s, driver_override %s' % (p.get('driver'), p.get('driver_override')))
        p = after['pci'].get(TRANSIENT_PCI, {})
        check(v, 'after the reboot: transient override %s is gone (back on %s)' % (TRANSIENT_PCI, TRANSIENT_NATIVE),
              p.get('driver') == TRANSIENT_NATIVE and p.get('driver_override') in (None, '(null)', ''),
              'driver %s, driver_override %s' % (p.get('driver'), p.get('driver_override')))
        ok, m = mdev_running(after, *AUTO)
        check(v, 'after the reboot: auto mdev %s runs, type %s' % (AUTO[0], AUTO[1]), ok, str(m))
        check(v, 'after the reboot: manual mdev %s does not run' % MANUAL[0], MANUAL[0] not in after['mdevs'],
              str(after['mdevs'].get(MANUAL[0])))
        check(v, 'after the reboot: manual mdev is still defined (start manual)',
              after['mdevctl_d'].get(MANUAL[0], {}).get('start') == 'manual', str(after['mdevctl_d'].get(MANUAL[0])))
        check(v, 'after the reboot: transient mdev %s is gone (not running, not defined)' % TRANSIENT_MDEV[0],
              TRANSIENT_MDEV[0] not in after['mdevs'] and TRANSIENT_MDEV[0] not in after['mdevctl_d'])
        ours = [u for u in after['failed_units'] if OURS.search(u)]
        check(v, 'after the reboot: no failed unit of driverctl, mdevctl or the collection', not ours,
              ', '.join(ours) + ('; other failed units: %s' % ', '.join(after['failed_units'])
                                 if after['failed_units'] else ''))

    if exp.get('early'):
        early(v, res1, before, after)

    # The persistent part of the same playbook again: nothing to change.
    rc2 = text(os.path.join(d, 'playbook-2.rc'))
    r2 = recap(log2)
    check(v, 'after the reboot the same playbook (persistent part) runs without failures', rc2 == '0' and r2 is not None
          and r2[2] == 0, 'rc %s, recap %s' % (rc2, r2))
    changed = [k for k, x in (res2 or {}).items() if x and x.get('changed')]
    check(v, 'after the reboot the same playbook reports changed=0',
          r2 is not None and r2[1] == 0 and r2[2] == 0 and not changed,
          'recap %s%s' % (r2, '; changed: ' + ', '.join(changed) if changed else ''))


def early(v, res1, before, after):
    """The vfio_pci role's early binding: what it wrote, and that the next boot used it."""
    r = (res1 or {}).get('early') or {}
    check(v, 'vfio_pci role: changed, reboot_required, ids %s' % EARLY_ID,
          r.get('changed') is True and r.get('reboot_required') is True and r.get('ids') == [EARLY_ID],
          'changed %r, reboot_required %r, ids %r, actions %r' % (r.get('changed'), r.get('reboot_required'),
                                                                  r.get('ids'), r.get('actions')))
    if before is None or after is None:
        check(v, 'early binding: guest states before and after the reboot', False, 'missing')
        return
    conf = (before.get('modprobe_conf') or '').splitlines()
    check(v, 'early binding: /etc/modprobe.d/vfio-passthrough.conf has the ids and the softdep',
          all(line in conf for line in EARLY_CONF), repr(before.get('modprobe_conf')))
    wrote = before.get('etc_kernel_cmdline') or ''
    check(v, 'early binding: the role kept intel_iommu=on in /etc/kernel/cmdline', 'intel_iommu=on' in wrote.split(),
          repr(wrote))
    check(v, 'after the reboot: /proc/cmdline is the command line the role wrote', after.get('cmdline') == wrote,
          '/proc/cmdline %r' % after.get('cmdline'))
    p = after['pci'].get(EARLY_PCI, {})
    check(v, 'after the reboot: %s on vfio-pci by its id (no driver_override)' % EARLY_PCI,
          p.get('driver') == 'vfio-pci' and p.get('driver_override') in (None, '(null)', ''),
          'driver %s, driver_override %s' % (p.get('driver'), p.get('driver_override')))
    # (udev loads a device's module only while it has no driver: with vfio-pci in the initramfs e1000 may never load)
    check(v, 'after the reboot: e1000 never took %s (no kernel line of it about the device)' % EARLY_PCI,
          after.get('kernel_e1000_0700') == [],
          'e1000 loaded %r, its kernel lines about %s: %r' % (after.get('e1000_loaded'), EARLY_PCI,
                                                              after.get('kernel_e1000_0700')))


def main():
    run = sys.argv[1]
    for v in sys.argv[2:]:
        f0 = failed
        judge(run, v)
        after = load(os.path.join(run, v, 'state-after.json'))
        if failed > f0 and after:
            print('    the guest\'s journal after the reboot (driverctl, mdevctl, vfio-passthrough, udev):')
            for line in after['journal'].splitlines()[-25:]:
                print('    | ' + line)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
