"""The vfio_pci role through real Ansible runs on a Debian-like and a Fedora-like host below a temporary root.

The roots are plain directory trees (/proc, /sys, /etc, /boot); the boot programs are stand-ins in
<root>/usr/sbin, put on PATH (the module runs programs below another root only from PATH's
directories below it). Each records its argv in calls.log next to the root; grubby keeps its boot
entries in grubby.json there. A file fail-<program> there makes that program fail.
"""

import json
import os
import sys

import pytest

GRUB = ('GRUB_DEFAULT=0\n'
        'GRUB_TIMEOUT=5\n'
        '# the options every entry gets\n'
        'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash intel_iommu=off"\n'
        "GRUB_CMDLINE_LINUX='console=tty0 foo=\"a b\"'  # kept as written\n")
MODULES = '# List of modules that you want to include in your initramfs.\nloop\n'
KERNEL_CMDLINE = 'root=UUID=6a1c ro rhgb quiet\n'

RECORD = '#!/bin/sh\nlog=%(log)s\necho "$(basename "$0")${*:+ $*}" >> "$log"\n' \
         'if [ -e "%(dir)s/fail-$(basename "$0")" ]; then echo "boom: $(basename "$0") broke" >&2; exit 3; fi\n'

GRUBBY = '''#!%(python)s
"""A stand-in for grubby: entries in grubby.json, --info=ALL, --update-kernel with --args and --remove-args."""
import json, os, sys
state = %(state)r
with open(%(log)r, 'a') as f:
    f.write(' '.join(['grubby'] + sys.argv[1:]) + '\\n')
if os.path.exists(os.path.join(%(dir)r, 'fail-grubby')) and '--info=ALL' not in sys.argv:
    sys.stderr.write('boom: grubby broke\\n')
    sys.exit(3)
entries = json.load(open(state))
opts = dict(a.split('=', 1) for a in sys.argv[1:] if '=' in a)
if '--info' in opts:
    for i, e in enumerate(entries):
        print('index=%%d\\nkernel="%%s"\\nargs="%%s"\\nroot="UUID=6a1c"\\ntitle="Linux"' %% (i, e['kernel'], e['args']))
    sys.exit(0)
key = lambda a: a.split('=', 1)[0]
for e in entries:
    if opts['--update-kernel'] not in ('ALL', e['kernel']):
        continue
    args = e['args'].split()
    for r in opts.get('--remove-args', '').split():
        args = [a for a in args if a != r and a != key(r)]
    for n in opts.get('--args', '').split():
        args = [a for a in args if key(a) != key(n)] + [n]
    e['args'] = ' '.join(args)
json.dump(entries, open(state, 'w'))
'''


class Host(object):
    """A root directory with /proc, /sys and /etc of a distribution, and the stand-ins on PATH."""

    def __init__(self, tmp_path, monkeypatch):
        self.dir = tmp_path
        self.root = tmp_path / 'root'
        self.log = tmp_path / 'calls.log'
        self.sbin = self.root / 'usr' / 'sbin'
        self.sbin.mkdir(parents=True)
        monkeypatch.setenv('VFIO_PASSTHROUGH_ROOT', str(self.root))
        monkeypatch.setenv('PATH', '%s%s%s' % (self.sbin, os.pathsep, os.environ.get('PATH', '/usr/bin:/bin')))
        self.write('proc/cmdline', 'BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=6a1c ro quiet\n')
        (self.root / 'sys' / 'kernel' / 'iommu_groups').mkdir(parents=True)
        (self.root / 'sys' / 'class' / 'iommu').mkdir(parents=True)

    def write(self, rel, text):
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def read(self, rel):
        path = self.root / rel
        return path.read_text() if path.exists() else None

    def program(self, name, text=None):
        path = self.sbin / name
        path.write_text(text or RECORD % {'log': self.log, 'dir': self.dir})
        path.chmod(0o755)

    def grubby(self, entries):
        (self.dir / 'grubby.json').write_text(json.dumps(entries))
        self.program('grubby', GRUBBY % {'python': sys.executable, 'state': str(self.dir / 'grubby.json'),
                                         'log': str(self.log), 'dir': str(self.dir)})

    def entries(self):
        return json.loads((self.dir / 'grubby.json').read_text())

    def calls(self):
        return self.log.read_text().splitlines() if self.log.exists() else []

    def files(self):
        """Every file below the root with its text (but the collection's lock): what check mode leaves as it is."""
        out = {}
        for dirpath, _dirs, names in os.walk(str(self.root)):
            for name in names:
                rel = os.path.relpath(os.path.join(dirpath, name), str(self.root))
                if rel != os.path.join('run', 'lock', 'vfio-passthrough.lock'):
                    with open(os.path.join(dirpath, name)) as f:
                        out[rel] = f.read()
        return out

    def reboot(self, cmdline, groups=3):
        """The host as the next boot leaves it: the new command line, and the IOMMU's groups."""
        self.write('proc/cmdline', cmdline + '\n')
        for n in range(groups):
            (self.root / 'sys' / 'kernel' / 'iommu_groups' / str(n)).mkdir(exist_ok=True)


@pytest.fixture
def debian(tmp_path, monkeypatch):
    """Intel, IOMMU off, GRUB with update-grub, initramfs-tools."""
    host = Host(tmp_path, monkeypatch)
    host.write('proc/cpuinfo', 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n')
    host.write('etc/default/grub', GRUB)
    host.write('etc/initramfs-tools/modules', MODULES)
    host.program('update-grub')
    host.program('update-initramfs')
    return host


@pytest.fixture
def fedora(tmp_path, monkeypatch):
    """AMD, IOMMU on (groups and a unit), grubby with two entries, /etc/kernel/cmdline, dracut."""
    host = Host(tmp_path, monkeypatch)
    host.write('proc/cpuinfo', 'processor\t: 0\nvendor_id\t: AuthenticAMD\n')
    for n in range(4):
        (host.root / 'sys' / 'kernel' / 'iommu_groups' / str(n)).mkdir()
    (host.root / 'sys' / 'class' / 'iommu' / 'ivhd0').mkdir()
    host.write('etc/kernel/cmdline', KERNEL_CMDLINE)
    (host.root / 'etc' / 'dracut.conf.d').mkdir(parents=True)
    host.grubby([{'kernel': '/boot/vmlinuz-6.5.6-300.fc39.x86_64', 'args': 'root=UUID=6a1c ro rhgb quiet'},
                 {'kernel': '/boot/vmlinuz-6.4.15-200.fc38.x86_64', 'args': 'root=UUID=6a1c ro rhgb quiet'}])
    host.program('dracut')
    return host


def role(**variables):
    return {'ansible.builtin.include_role': {'name': 'vfio.passthrough.vfio_pci'}, 'vars': variables}


def facts():
    return {'ansible.builtin.debug': {'msg': '{{ {"reboot": vfio_pci_reboot_required, "result": vfio_pci_result} }}'}}


DEBIAN_ROLE = role(vfio_pci_ids=['10de:1eb8', '10DE:10f8'], vfio_pci_softdep_drivers=['nouveau', 'snd_hda_intel'])


def test_a_debian_host_gets_intel_iommu_from_grub_and_vfio_in_initramfs_tools(debian, playbook):
    before = debian.files()
    check = playbook([DEBIAN_ROLE, facts()], check=True, diff=True)
    assert check.rc == 0, check.stdout
    assert debian.files() == before and debian.calls() == []
    predicted = check[1]['msg']
    assert predicted['reboot'] is True and check.changed == 1
    assert '+GRUB_CMDLINE_LINUX=\'console=tty0 foo="a b" intel_iommu=on\'' in check.stdout  # the diff

    run = playbook([DEBIAN_ROLE, facts()])
    assert run.rc == 0, run.stdout
    assert run.changed == 1
    result = run[1]['msg']['result']
    assert result['actions'] == predicted['result']['actions'] == [
        'write /etc/modprobe.d/vfio-passthrough.conf',
        'edit /etc/default/grub (GRUB_CMDLINE_LINUX: +intel_iommu=on, GRUB_CMDLINE_LINUX_DEFAULT: -intel_iommu=off)',
        'run /usr/sbin/update-grub',
        'write /etc/initramfs-tools/modules',
        'run /usr/sbin/update-initramfs -u -k all']
    assert debian.read('etc/default/grub') == GRUB.replace(' intel_iommu=off', '').replace(
        'foo="a b"\'', 'foo="a b" intel_iommu=on\'')
    assert debian.read('etc/modprobe.d/vfio-passthrough.conf').splitlines()[2:] == [
        'options vfio-pci ids=10de:1eb8,10de:10f8', 'softdep nouveau pre: vfio-pci',
        'softdep snd_hda_intel pre: vfio-pci']
    assert debian.read('etc/initramfs-tools/modules').startswith(MODULES)
    assert 'vfio\nvfio_iommu_type1\nvfio_pci\n' in debian.read('etc/initramfs-tools/modules')
    assert debian.calls() == ['update-grub', 'update-initramfs -u -k all']
    assert result['iommu'] == {'enabled': False, 'groups': 0, 'units': []}
    assert result['cmdline'] == 'BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=6a1c ro quiet'
    assert result['reboot_required'] is True and run[1]['msg']['reboot'] is True
    assert 'reboot required for vfio-pci' in run.text and 'kernel command line gets intel_iommu=on' in run.text

    again = playbook([DEBIAN_ROLE, facts()])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert debian.calls() == ['update-grub', 'update-initramfs -u -k all']
    again_result = again[1]['msg']['result']
    assert again_result['actions'] == [] and again_result['reboot_required'] is True
    assert again_result['missing_from_running'] == ['intel_iommu=on']

    debian.reboot('BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=6a1c ro console=tty0 foo="a b" intel_iommu=on quiet splash')
    booted = playbook([DEBIAN_ROLE, facts()])
    assert booted.rc == 0 and booted.changed == 0, booted.stdout
    assert booted[1]['msg']['reboot'] is False
    assert booted[1]['msg']['result']['iommu'] == {'enabled': True, 'groups': 3, 'units': []}
    assert 'reboot required' not in booted.text


FEDORA_ROLE = role(vfio_pci_ids=['1002:73bf'], vfio_pci_softdep_drivers=['amdgpu'], vfio_pci_iommu_pt=True,
                   vfio_pci_kernel_args=['video=efifb:off'])


def test_a_fedora_host_gets_its_arguments_through_grubby_and_vfio_through_dracut(fedora, playbook):
    before, entries = fedora.files(), fedora.entries()
    check = playbook([FEDORA_ROLE, facts()], check=True, diff=True)
    assert check.rc == 0, check.stdout
    assert fedora.files() == before and fedora.entries() == entries
    assert fedora.calls() == ['grubby --info=ALL']  # check mode only reads
    predicted = check[1]['msg']['result']

    run = playbook([FEDORA_ROLE, facts()])
    assert run.rc == 0 and run.changed == 1, run.stdout
    result = run[1]['msg']['result']
    assert result['actions'] == predicted['actions'] == [
        'write /etc/modprobe.d/vfio-passthrough.conf',
        'edit /etc/kernel/cmdline (+iommu=pt +video=efifb:off)',
        "run /usr/sbin/grubby --update-kernel=ALL '--args=iommu=pt video=efifb:off'",
        'write /etc/dracut.conf.d/vfio-passthrough.conf',
        'run /usr/sbin/dracut --regenerate-all -f']
    assert result['kernel_args'] == ['iommu=pt', 'video=efifb:off']  # the IOMMU is on: amd_iommu is left alone
    assert result['iommu'] == {'enabled': True, 'groups': 4, 'units': ['ivhd0']}
    assert result['boot_config'] == ['/etc/kernel/cmdline', 'grubby (2 boot entries)']
    assert result['initramfs'] == 'dracut' and result['reboot_required'] is True
    assert fedora.read('etc/kernel/cmdline') == 'root=UUID=6a1c ro rhgb quiet iommu=pt video=efifb:off\n'
    assert [e['args'] for e in fedora.entries()] == ['root=UUID=6a1c ro rhgb quiet iommu=pt video=efifb:off'] * 2
    assert fedora.read('etc/dracut.conf.d/vfio-passthrough.conf').endswith(
        'force_drivers+=" vfio vfio_iommu_type1 vfio_pci "\n')
    assert 'softdep amdgpu pre: vfio-pci' in fedora.read('etc/modprobe.d/vfio-passthrough.conf')
    assert fedora.calls() == ['grubby --info=ALL', 'grubby --info=ALL',
                              'grubby --update-kernel=ALL --args=iommu=pt video=efifb:off',
                              'dracut --regenerate-all -f']

    again = playbook([FEDORA_ROLE, facts()])
    assert again.rc == 0 and again.changed == 0, again.stdout
    assert fedora.calls()[4:] == ['grubby --info=ALL']
    assert again[1]['msg']['result']['missing_from_running'] == ['iommu=pt', 'video=efifb:off']


def test_a_failing_program_names_itself_and_everything_written_is_put_back(debian, playbook):
    before = debian.files()
    (debian.dir / 'fail-update-initramfs').write_text('')
    run = playbook([DEBIAN_ROLE])
    assert run.rc != 0
    assert ('/usr/sbin/update-initramfs -u -k all failed (exit 3): boom: update-initramfs broke; put back: '
            '/etc/initramfs-tools/modules') in run.text, run.stdout
    assert 'undone: kernel command line, modprobe.d' in run.text
    assert debian.files() == before
    # grub.cfg is made again from the /etc/default/grub put back
    assert debian.calls() == ['update-grub', 'update-initramfs -u -k all', 'update-grub']


def test_the_modules_error_carries_the_command_its_exit_code_and_stderr(debian, playbook):
    (debian.dir / 'fail-update-grub').write_text('')
    run = playbook([{'vfio.passthrough.vfio_pci_boot': {'ids': ['10de:1eb8']}}])
    failed = run[0]
    assert failed['failed'] and failed['command'] == '/usr/sbin/update-grub' and failed['rc'] == 3, run.stdout
    assert failed['stderr'] == 'boom: update-grub broke'
    assert failed['msg'] == ('/usr/sbin/update-grub failed (exit 3): boom: update-grub broke; put back: '
                             '/etc/default/grub; undone: modprobe.d')
    assert failed['undone'] == ['modprobe.d']
    assert debian.read('etc/default/grub') == GRUB and debian.read('etc/modprobe.d/vfio-passthrough.conf') is None
    assert debian.calls() == ['update-grub']


def test_without_ids_the_early_binding_is_taken_out_and_the_command_line_stays(debian, playbook):
    assert playbook([DEBIAN_ROLE]).rc == 0
    grub = debian.read('etc/default/grub')
    run = playbook([role(vfio_pci_ids=[]), facts()])
    assert run.rc == 0 and run.changed == 1, run.stdout
    assert run[1]['msg']['result']['actions'] == [
        'remove /etc/modprobe.d/vfio-passthrough.conf', 'write /etc/initramfs-tools/modules',
        'run /usr/sbin/update-initramfs -u -k all']
    assert debian.read('etc/modprobe.d/vfio-passthrough.conf') is None
    assert debian.read('etc/initramfs-tools/modules') == MODULES
    assert debian.read('etc/default/grub') == grub


def test_the_role_can_stop_until_the_host_is_rebooted(debian, playbook):
    run = playbook([role(vfio_pci_iommu='intel', vfio_pci_fail_on_reboot_required=True)])
    assert run.rc != 0 and 'Stop here until the host is rebooted' in run.stdout, run.stdout
    assert ('reboot required for vfio-pci (the module never reboots): kernel command line gets intel_iommu=on'
            in run.text)
    assert 'intel_iommu=on' in debian.read('etc/default/grub')


def test_bind_now_takes_the_gpu_with_its_audio_function_and_refuses_to_split_their_group(x86, playbook, monkeypatch):
    sbin = os.path.join(x86.root, 'usr', 'sbin')
    os.makedirs(sbin)
    for name in ('update-grub', 'update-initramfs'):
        with open(os.path.join(sbin, name), 'w') as f:
            f.write('#!/bin/sh\nexit 0\n')
        os.chmod(os.path.join(sbin, name), 0o755)
    monkeypatch.setenv('PATH', '%s%s%s' % (sbin, os.pathsep, os.environ.get('PATH', '/usr/bin:/bin')))
    # the simulated host's IOMMU is on (its groups), so the command line is left as it is
    for rel, text in (('etc/default/grub', 'GRUB_CMDLINE_LINUX=""\n'), ('etc/initramfs-tools/modules', '')):
        os.makedirs(os.path.dirname(x86.path(rel)), exist_ok=True)
        with open(x86.path(rel), 'w') as f:
            f.write(text)

    split = playbook([role(vfio_pci_ids=['10de:1eb8'], vfio_pci_bind_now=True)])
    assert split.rc != 0 and 'IOMMU group 12' in split.text, split.stdout
    assert x86.driver('pci', '0000:01:00.0') == 'nouveau'

    run = playbook([role(vfio_pci_ids=['10de:1eb8', '10de:10f8'], vfio_pci_bind_now=True),
                    {'ansible.builtin.debug': {'var': 'vfio_pci_bound'}}])
    assert run.rc == 0, run.stdout
    assert [d['device'] for d in run[1]['vfio_pci_bound']] == ['0000:01:00.0', '0000:01:00.1']
    assert x86.driver('pci', '0000:01:00.0') == x86.driver('pci', '0000:01:00.1') == 'vfio-pci'
    assert not os.path.exists(x86.path('etc/driverctl.d/pci-0000:01:00.0'))  # the boot binds by id
    assert 'options vfio-pci ids=10de:1eb8,10de:10f8' in x86.read('etc/modprobe.d/vfio-passthrough.conf')
