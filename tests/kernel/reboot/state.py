"""What the reboot lab's guest shows, as JSON on stdout; run in the guest as `python3 - PCI... < state.py`.

Reads sysfs, the persisted configuration and systemd, never through the collection: the lab judges the
collection by what the kernel and the boot did.
"""
import glob
import json
import os
import subprocess
import sys


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def link(path):
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return None


def run(*cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=120, check=False)
        return p.stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return 'error: %s' % e


state = {
    'boot_id': read('/proc/sys/kernel/random/boot_id'),
    'uptime': float(read('/proc/uptime').split()[0]),
    'system': run('systemctl', 'is-system-running'),
    'failed_units': [ln.split()[0] for ln in run('systemctl', 'list-units', '--failed', '--plain', '--no-legend').splitlines()
                     if ln.strip()],
    'packages': {p: 'ok installed' in run('dpkg-query', '-W', '-f=${Status}', p) for p in ('driverctl', 'mdevctl')},
    'pci': {},
    'driverctl_d': {},
    'mdevctl_d': {},
    'mdevs': {},
    'collection_files': sorted(
        glob.glob('/etc/udev/rules.d/*vfio-passthrough*') + glob.glob('/usr/libexec/vfio-passthrough/*')
        + glob.glob('/etc/systemd/system/vfio-passthrough*') + glob.glob('/etc/systemd/system/*/vfio-passthrough*')),
}
for dev in sys.argv[1:]:
    base = '/sys/bus/pci/devices/' + dev
    state['pci'][dev] = {'driver': link(base + '/driver'), 'driver_override': read(base + '/driver_override'),
                         'iommu_group': link(base + '/iommu_group')}
for f in sorted(glob.glob('/etc/driverctl.d/*')):
    state['driverctl_d'][os.path.basename(f)] = read(f)
for f in sorted(glob.glob('/etc/mdevctl.d/*/*')):
    if os.path.isfile(f):
        try:
            state['mdevctl_d'][os.path.basename(f)] = dict(json.loads(read(f)), parent=os.path.basename(os.path.dirname(f)))
        except ValueError:
            state['mdevctl_d'][os.path.basename(f)] = {'unreadable': read(f)}
for d in sorted(glob.glob('/sys/bus/mdev/devices/*')):
    real = os.path.realpath(d)
    state['mdevs'][os.path.basename(d)] = {'mdev_type': link(d + '/mdev_type'),
                                           'parent': os.path.basename(os.path.dirname(real))}
# Early binding (the vfio_pci role, tools variant): what the boot was given and what it did with the e1000 at 00:07.0
state['cmdline'] = read('/proc/cmdline')
state['cpu_vendor'] = next((ln.split(':', 1)[1].strip() for ln in (read('/proc/cpuinfo') or '').splitlines()
                            if ln.startswith('vendor_id')), None)
state['etc_kernel_cmdline'] = read('/etc/kernel/cmdline')
state['modprobe_conf'] = read('/etc/modprobe.d/vfio-passthrough.conf')
state['e1000_loaded'] = os.path.isdir('/sys/module/e1000')
state['kernel_e1000_0700'] = [ln for ln in run('journalctl', '-k', '-b', '--no-pager', '-o', 'cat').splitlines()
                              if '0000:00:07.0' in ln and 'e1000' in ln]
state['journal'] = run('journalctl', '-b', '--no-pager', '-o', 'short-monotonic', '-n', '60',
                       '-u', 'driverctl@*', '-u', 'vfio-passthrough*', '-u', 'mdevctl*', '-u', 'systemd-udevd',
                       '-u', 'systemd-modules-load')
print(json.dumps(state, indent=1, sort_keys=True))
