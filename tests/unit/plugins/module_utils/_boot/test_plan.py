"""The vfio_pci_boot plan on temporary roots: what it predicts, applies, leaves alone the second time, and puts back.

The boot programs are stand-ins on PATH below the root (the only ones the library runs below another
root); ``Programs`` runs them in the test instead: it records each call, keeps grubby's entries and
fails the programs it is told to.
"""

import os

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._boot.plan import BootRequest, plan_vfio_pci_boot
from ansible_collections.vfio.passthrough.plugins.module_utils._core.errors import ConfigError, InvalidArgument
from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._core.tools import Tools

GRUB = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\nGRUB_CMDLINE_LINUX=""\n'
MODULES = '# List of modules\nloop\n'
CONF = 'etc/modprobe.d/vfio-passthrough.conf'


class Programs(Tools):
    """The boot programs, run in the test: calls recorded, grubby's entries kept, ``fail`` ones exit 3."""

    def __init__(self, grubby=None, fail=(), on_grubby=None):
        self.calls = []
        self.entries = grubby
        self.fail = set(fail)
        self.on_grubby = on_grubby

    def run(self, argv, stdin=None, timeout=None):
        name = os.path.basename(argv[0])
        self.calls.append(' '.join([name] + list(argv[1:])))
        if name == 'grubby' and argv[1] == '--info=ALL':
            return 0, ''.join('index=%d\nkernel="%s"\nargs="%s"\n' % (i, k, a)
                              for i, (k, a) in enumerate(self.entries)), ''
        if name in self.fail:
            return 3, '', '%s: broken\n' % name
        if name == 'grubby':
            opts = dict(a.split('=', 1) for a in argv[1:])
            for i, (kernel, args) in enumerate(self.entries):
                if opts['--update-kernel'] in ('ALL', kernel):
                    words = [w for w in args.split() if w not in opts.get('--remove-args', '').split()]
                    self.entries[i] = (kernel, ' '.join(words + opts.get('--args', '').split()))
            if self.on_grubby:
                self.on_grubby()
        return 0, '', ''


class Root(object):
    """A temporary root: /proc, /sys and /etc as a test writes them, its programs on PATH."""

    def __init__(self, tmp_path, monkeypatch, vendor='GenuineIntel', iommu_on=False):
        self.root = tmp_path / 'root'
        self.sbin = self.root / 'usr' / 'sbin'
        self.sbin.mkdir(parents=True)
        monkeypatch.setenv('PATH', str(self.sbin))
        self.write('proc/cpuinfo', 'vendor_id\t: %s\n' % vendor)
        self.write('proc/cmdline', 'BOOT_IMAGE=/vmlinuz ro quiet\n')
        (self.root / 'sys' / 'kernel' / 'iommu_groups').mkdir(parents=True)
        if iommu_on:
            (self.root / 'sys' / 'kernel' / 'iommu_groups' / '0').mkdir()

    def write(self, rel, text):
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def read(self, rel):
        path = self.root / rel
        return path.read_text() if path.exists() else None

    def programs(self, *names):
        for name in names:
            path = self.sbin / name
            path.write_text('#!/bin/sh\nexit 99\n')  # never run: Programs answers instead
            path.chmod(0o755)

    def files(self):
        out = {}
        for dirpath, _dirs, names in os.walk(str(self.root)):
            for name in names:
                with open(os.path.join(dirpath, name)) as f:
                    out[os.path.relpath(os.path.join(dirpath, name), str(self.root))] = f.read()
        return out

    def host(self, tools):
        return Host(str(self.root), tools)


@pytest.fixture
def debian(tmp_path, monkeypatch):
    root = Root(tmp_path, monkeypatch)
    root.write('etc/default/grub', GRUB)
    root.write('etc/initramfs-tools/modules', MODULES)
    root.programs('update-grub', 'update-initramfs')
    return root


@pytest.fixture
def fedora(tmp_path, monkeypatch):
    root = Root(tmp_path, monkeypatch, vendor='AuthenticAMD')
    root.write('etc/kernel/cmdline', 'root=UUID=6a1c ro rhgb quiet\n')
    root.write('etc/default/grub', 'GRUB_CMDLINE_LINUX="rhgb quiet"\n')
    root.programs('grubby', 'dracut')
    return root


def entries():
    return [('/boot/vmlinuz-6.5', 'root=UUID=6a1c ro rhgb quiet'), ('/boot/vmlinuz-0-rescue', 'root=UUID=6a1c ro')]


GPU = dict(ids=['10de:1eb8', '10de:10f8'], softdep_drivers=['nouveau'])


def actions(plan):
    return [a for c in plan.changes for a in c.actions]


def test_a_debian_host_predicted_applied_and_then_left_alone(debian):
    tools = Programs()
    before = debian.files()
    plan = plan_vfio_pci_boot(debian.host(tools), BootRequest(iommu_pt=True, **GPU))
    assert actions(plan) == [
        'write /etc/modprobe.d/vfio-passthrough.conf',
        'edit /etc/default/grub (GRUB_CMDLINE_LINUX: +intel_iommu=on +iommu=pt)', 'run /usr/sbin/update-grub',
        'write /etc/initramfs-tools/modules', 'run /usr/sbin/update-initramfs -u -k all']
    predicted = plan.report(False)
    assert debian.files() == before and tools.calls == []  # planning only reads
    assert [d['before_header'] for d in plan.diff()] == [
        '/etc/modprobe.d/vfio-passthrough.conf', '/etc/default/grub', '/etc/initramfs-tools/modules']
    assert plan.diff()[1]['after'] == GRUB.replace('LINUX=""', 'LINUX="intel_iommu=on iommu=pt"')
    plan.apply()
    assert plan.report(True) == predicted
    assert tools.calls == ['update-grub', 'update-initramfs -u -k all']
    assert debian.read('etc/default/grub') == GRUB.replace('LINUX=""', 'LINUX="intel_iommu=on iommu=pt"')
    assert 'options vfio-pci ids=10de:1eb8,10de:10f8\nsoftdep nouveau pre: vfio-pci\n' in debian.read(CONF)
    assert predicted['reboot_required'] is True and predicted['boot_config'] == ['/etc/default/grub']
    assert predicted['msg'] == (
        'reboot required for vfio-pci (the module never reboots): /etc/modprobe.d/vfio-passthrough.conf written; '
        'kernel command line gets intel_iommu=on iommu=pt; initramfs rebuilt (initramfs-tools); the running kernel '
        'was booted without intel_iommu=on iommu=pt (/proc/cmdline)')

    again = plan_vfio_pci_boot(debian.host(tools), BootRequest(iommu_pt=True, **GPU))
    assert not again.changed and actions(again) == [] and again.diff() == []
    assert again.report(False)['msg'] == ('reboot required for vfio-pci (the module never reboots): the running '
                                          'kernel was booted without intel_iommu=on iommu=pt (/proc/cmdline)')
    debian.write('proc/cmdline', 'BOOT_IMAGE=/vmlinuz ro intel_iommu=on iommu=pt quiet splash\n')
    (debian.root / 'sys' / 'kernel' / 'iommu_groups' / '0').mkdir()
    booted = plan_vfio_pci_boot(debian.host(tools), BootRequest(iommu_pt=True, **GPU)).report(False)
    assert booted['reboot_required'] is False and booted['kernel_args'] == ['intel_iommu=on', 'iommu=pt']
    assert booted['msg'].startswith('the host is ready for vfio-pci')


def test_a_fedora_host_through_grubby_and_dracut(fedora):
    tools = Programs(grubby=entries())
    plan = plan_vfio_pci_boot(fedora.host(tools), BootRequest(iommu='amd', kernel_args=['video=efifb:off'], **GPU))
    assert actions(plan) == [
        'write /etc/modprobe.d/vfio-passthrough.conf',
        'edit /etc/kernel/cmdline (+amd_iommu=on +video=efifb:off)',
        "run /usr/sbin/grubby --update-kernel=ALL '--args=amd_iommu=on video=efifb:off'",
        'write /etc/dracut.conf.d/vfio-passthrough.conf', 'run /usr/sbin/dracut --regenerate-all -f']
    grubby_diff = plan.diff()[2]
    assert grubby_diff['before_header'] == 'grubby --info=ALL'
    assert grubby_diff['after'] == ('/boot/vmlinuz-6.5: root=UUID=6a1c ro rhgb quiet amd_iommu=on video=efifb:off\n'
                                    '/boot/vmlinuz-0-rescue: root=UUID=6a1c ro amd_iommu=on video=efifb:off\n')
    plan.apply()
    assert tools.calls == ['grubby --info=ALL', 'grubby --update-kernel=ALL --args=amd_iommu=on video=efifb:off',
                           'dracut --regenerate-all -f']
    assert fedora.read('etc/kernel/cmdline') == 'root=UUID=6a1c ro rhgb quiet amd_iommu=on video=efifb:off\n'
    assert fedora.read('etc/default/grub') == 'GRUB_CMDLINE_LINUX="rhgb quiet"\n'  # grubby's business
    assert plan.report(True)['boot_config'] == ['/etc/kernel/cmdline', 'grubby (2 boot entries)']
    assert not plan_vfio_pci_boot(fedora.host(tools), BootRequest(iommu='amd', kernel_args=['video=efifb:off'],
                                                                  **GPU)).changed


def test_a_failing_generator_puts_back_its_file_and_the_plan_undoes_grubby_and_the_files(fedora):
    before = fedora.files()

    def grubby_edits_etc_default_grub():  # newer grubby releases do, with --update-kernel=ALL
        fedora.write('etc/default/grub', 'GRUB_CMDLINE_LINUX="rhgb quiet amd_iommu=on"\n')

    tools = Programs(grubby=entries(), fail=['dracut'], on_grubby=grubby_edits_etc_default_grub)
    plan = plan_vfio_pci_boot(fedora.host(tools), BootRequest(iommu='amd', **GPU))
    with pytest.raises(ConfigError) as exc:
        plan.apply()
    assert exc.value.msg == (
        '/usr/sbin/dracut --regenerate-all -f failed (exit 3): dracut: broken; '
        'put back: /etc/dracut.conf.d/vfio-passthrough.conf; images that /usr/sbin/dracut --regenerate-all -f rebuilt '
        'before it failed keep the new configuration until it runs again; '
        'undone: kernel command line, modprobe.d')
    assert exc.value.result()['rc'] == 3 and exc.value.result()['stderr'] == 'dracut: broken'
    assert tools.calls == ['grubby --info=ALL', 'grubby --update-kernel=ALL --args=amd_iommu=on',
                           'dracut --regenerate-all -f',
                           'grubby --update-kernel=ALL --remove-args=amd_iommu=on']  # undone once
    assert tools.entries == entries()
    assert fedora.files() == before


def test_a_failing_grub_mkconfig_puts_back_etc_default_grub_and_the_plan_the_modprobe_file(debian):
    before = debian.files()
    tools = Programs(fail=['update-grub'])
    with pytest.raises(ConfigError) as exc:
        plan_vfio_pci_boot(debian.host(tools), BootRequest(**GPU)).apply()
    assert exc.value.msg == ('/usr/sbin/update-grub failed (exit 3): update-grub: broken; put back: /etc/default/grub; '
                             'undone: modprobe.d')
    assert debian.files() == before and tools.calls == ['update-grub']


def test_an_undone_grub_change_makes_grub_cfg_again_from_the_file_put_back(debian):
    tools = Programs(fail=['update-initramfs'])
    with pytest.raises(ConfigError) as exc:
        plan_vfio_pci_boot(debian.host(tools), BootRequest(**GPU)).apply()
    assert exc.value.extra['undone'] == ['kernel command line', 'modprobe.d']
    assert tools.calls == ['update-grub', 'update-initramfs -u -k all', 'update-grub']
    assert debian.read('etc/default/grub') == GRUB and debian.read(CONF) is None


def test_grubby_calls_that_failed_half_way_are_reversed_too(fedora):
    before = fedora.files()
    tools = Programs(grubby=entries(), fail=['grubby'])
    with pytest.raises(ConfigError) as exc:
        plan_vfio_pci_boot(fedora.host(tools), BootRequest(iommu='intel', **GPU)).apply()
    assert exc.value.msg.startswith('/usr/sbin/grubby --update-kernel=ALL --args=intel_iommu=on failed (exit 3)')
    assert 'could not put back: /usr/sbin/grubby --update-kernel=ALL --remove-args=intel_iommu=on' in exc.value.msg
    assert 'put back: /etc/kernel/cmdline' in exc.value.msg
    assert fedora.files() == before


def test_bls_entries_and_kernel_cmdline_without_grubby(tmp_path, monkeypatch):
    root = Root(tmp_path, monkeypatch)
    entry = 'title Linux\nlinux /vmlinuz\noptions root=/dev/vda2 rw intel_iommu=off\n'
    root.write('boot/loader/entries/a.conf', entry)
    root.write('efi/loader/entries/b.conf', 'title Linux\noptions root=/dev/vda2 rw intel_iommu=on\n')
    root.write('etc/kernel/cmdline', 'root=/dev/vda2 rw\n')
    tools = Programs()
    plan = plan_vfio_pci_boot(root.host(tools), BootRequest(initramfs='none'))
    assert actions(plan) == ['edit /etc/kernel/cmdline (+intel_iommu=on)',
                             'edit /boot/loader/entries/a.conf (-intel_iommu=off +intel_iommu=on)']
    plan.apply()
    assert root.read('boot/loader/entries/a.conf') == entry.replace('rw intel_iommu=off', 'rw intel_iommu=on')
    assert tools.calls == []
    assert plan.report(True)['boot_config'] == ['/etc/kernel/cmdline', '/boot/loader/entries/a.conf',
                                                '/efi/loader/entries/b.conf']
    assert not plan_vfio_pci_boot(root.host(tools), BootRequest(initramfs='none')).changed


def test_without_ids_the_early_binding_goes_and_the_images_are_rebuilt(debian):
    tools = Programs()
    plan_vfio_pci_boot(debian.host(tools), BootRequest(**GPU)).apply()
    plan = plan_vfio_pci_boot(debian.host(tools), BootRequest(iommu='none'))
    assert actions(plan) == ['remove /etc/modprobe.d/vfio-passthrough.conf', 'write /etc/initramfs-tools/modules',
                             'run /usr/sbin/update-initramfs -u -k all']
    plan.apply()
    assert debian.read(CONF) is None and debian.read('etc/initramfs-tools/modules') == MODULES
    assert 'intel_iommu=on' in debian.read('etc/default/grub')  # arguments are never taken away
    assert plan.warnings == ['the IOMMU is off and iommu is none: vfio-pci cannot take devices until the IOMMU is on '
                             '(intel_iommu=on or amd_iommu=on on the kernel command line, and VT-d or AMD-Vi in the '
                             'firmware)']


def test_a_changed_modprobe_file_alone_rebuilds_the_images(debian):
    tools = Programs()
    plan_vfio_pci_boot(debian.host(tools), BootRequest(**GPU)).apply()
    plan = plan_vfio_pci_boot(debian.host(tools), BootRequest(ids=['10de:1eb8']))
    assert actions(plan) == ['write /etc/modprobe.d/vfio-passthrough.conf', 'run /usr/sbin/update-initramfs -u -k all']


def test_an_iommu_that_is_on_needs_nothing_and_nothing_is_looked_for(tmp_path, monkeypatch):
    root = Root(tmp_path, monkeypatch, iommu_on=True)
    plan = plan_vfio_pci_boot(root.host(Programs()), BootRequest())
    assert not plan.changed and plan.report(False)['boot_config'] == [] and plan.warnings == []
    assert plan.report(False)['reboot_required'] is False and plan.report(False)['modprobe_conf'] is None


def test_no_place_for_the_command_line_and_no_program_for_grub_cfg_are_errors_before_anything_is_written(
        tmp_path, monkeypatch):
    root = Root(tmp_path, monkeypatch)
    with pytest.raises(ConfigError) as exc:
        plan_vfio_pci_boot(root.host(Programs()), BootRequest())
    assert exc.value.msg.startswith('the kernel command line needs intel_iommu=on, but nothing that keeps it is '
                                    'found: no grubby (programs are looked for on PATH below the root ')
    root.write('etc/default/grub', GRUB)
    with pytest.raises(ConfigError) as exc:
        plan_vfio_pci_boot(root.host(Programs()), BootRequest())
    assert exc.value.msg.startswith('/etc/default/grub needs GRUB_CMDLINE_LINUX: +intel_iommu=on, but none of '
                                    'update-grub, grub2-mkconfig and grub-mkconfig is found')


def test_ids_without_an_initramfs_generator_warn(tmp_path, monkeypatch):
    root = Root(tmp_path, monkeypatch, iommu_on=True)
    plan = plan_vfio_pci_boot(root.host(Programs()), BootRequest(**GPU))
    assert actions(plan) == ['write /etc/modprobe.d/vfio-passthrough.conf']
    assert plan.warnings[0].startswith('no initramfs generator (update-initramfs, dracut) is found')


@pytest.mark.parametrize('request_args, message', [
    (dict(softdep_drivers=['nouveau']), 'softdep_drivers and blacklist go into the modprobe.d file'),
    (dict(iommu='sometimes'), 'iommu must be one of auto, intel, amd, none'),
    (dict(initramfs='mkinitcpio'), 'initramfs must be one of auto, initramfs-tools, dracut, none'),
    (dict(ids=['nvidia']), "ids: 'nvidia' is not a PCI id"),
    (dict(kernel_args=['x y']), "kernel_args 'x y' is not a kernel argument"),
])
def test_requests_are_refused_before_the_host_is_read(request_args, message):
    with pytest.raises(InvalidArgument) as exc:
        BootRequest(**request_args)
    assert exc.value.msg.startswith(message)


def test_kernel_args_may_not_fight_the_iommu_options(debian):
    request = BootRequest(iommu='intel', iommu_pt=True, kernel_args=['iommu=off'])
    with pytest.raises(InvalidArgument) as exc:
        plan_vfio_pci_boot(debian.host(Programs()), request)
    assert exc.value.msg.startswith('kernel_args has iommu=off, but iommu=pt comes from iommu and iommu_pt')
