# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vfio_pci_boot plan: early binding, the kernel command line and the initramfs, in that order.

Three changes, each following the undo rule (``_core/plan.py``):

1. ``/etc/modprobe.d/vfio-passthrough.conf`` (modprobe.py): written, or removed without ids.
2. The kernel command line, in this order (cmdline.py): ``/etc/kernel/cmdline`` where it exists
   (kernel-install gives it to kernels installed later); then, where grubby is found, every boot
   entry through grubby; without grubby, the ``options`` of the BLS entries and GRUB_CMDLINE_LINUX
   in ``/etc/default/grub``, then grub.cfg made again (update-grub, grub2-mkconfig or
   grub-mkconfig). The files are written before a program runs; a program that fails has the files
   put back (and grubby's calls reversed) before the error is raised.
3. The initramfs (initramfs.py): its configuration file, and the images rebuilt when that file or
   the modprobe.d file changed. It comes last, so that nothing after it can ask for the slow rebuild
   to be undone.

Nothing reboots; the report says whether a reboot is needed and why.
"""

from collections import OrderedDict

from .._core import fileio as _fileio
from .._core.errors import ConfigError, InvalidArgument, VfioError
from .._core.host import GRUB_DEFAULT, KERNEL_CMDLINE, MODPROBE_CONF
from .._core.plan import Change, Plan
from . import bls as _bls
from . import cmdline as _cmdline
from . import grub as _grub
from . import grubby as _grubby
from . import initramfs as _initramfs
from . import iommu as _iommu
from . import modprobe as _modprobe
from .programs import find

IOMMU_CHOICES = ('auto', 'intel', 'amd', 'none')
INITRAMFS_CHOICES = ('auto', 'initramfs-tools', 'dracut', 'none')


class BootRequest(object):
    """What the task asks for, validated: nothing is read from the host here."""

    def __init__(self, ids=(), iommu='auto', iommu_pt=False, kernel_args=(), softdep_drivers=(), blacklist=(),
                 initramfs='auto'):
        if iommu not in IOMMU_CHOICES:
            raise InvalidArgument('iommu must be one of %s, not %r' % (', '.join(IOMMU_CHOICES), iommu),
                                  value=str(iommu), field='iommu')
        if initramfs not in INITRAMFS_CHOICES:
            raise InvalidArgument('initramfs must be one of %s, not %r' % (', '.join(INITRAMFS_CHOICES), initramfs),
                                  value=str(initramfs), field='initramfs')
        self.ids = _modprobe.pci_ids(ids)
        self.iommu = iommu
        self.iommu_pt = bool(iommu_pt)
        self.kernel_args = _cmdline.wanted(kernel_args or [])
        self.softdep_drivers = _modprobe.module_names(softdep_drivers, 'softdep_drivers')
        self.blacklist = _modprobe.module_names(blacklist, 'blacklist')
        self.initramfs = initramfs
        if not self.ids and (self.softdep_drivers or self.blacklist):
            raise InvalidArgument('softdep_drivers and blacklist go into the modprobe.d file of vfio-pci\'s ids; '
                                  'without ids there is no such file: give ids too', field='ids')

    def asked(self, iommu_arg):
        """The arguments to keep on the command line: the IOMMU's, ``iommu=pt``, then ``kernel_args``."""
        own = [_cmdline.Wanted(a, 'iommu') for a in ([iommu_arg] if iommu_arg else []) +
               (['iommu=pt'] if self.iommu_pt else [])]
        for w in self.kernel_args:
            clash = [o.arg for o in own if o.key == w.key]
            if clash:
                raise InvalidArgument('kernel_args has %s, but %s comes from iommu and iommu_pt: leave that key to '
                                      'them (iommu=none, iommu_pt=false to manage it in kernel_args)'
                                      % (w.arg, clash[0]), value=w.arg, field='kernel_args')
        return own + list(self.kernel_args)


class FileEdit(object):
    """One file's text before and after (None: no file); ``watched`` files are only put back, never written."""

    def __init__(self, host, path, old, new, mode=0o644, watched=False):
        self.host = host
        self.path = path
        self.shown = host.display(path)
        self.old = old
        self.new = new
        self.mode = mode
        self.watched = watched

    def put(self, text):
        """Write ``text``, or remove the file for None."""
        if text is None:
            _fileio.remove(self.path, self.shown)
        else:
            _fileio.write_atomic(self.path, text, self.mode, self.shown, self.host.tools)

    def put_back(self):
        """Put the old text back (a watched file only if something else changed it); False if nothing was to do."""
        if self.watched and _fileio.read_text(self.path, self.shown) == self.old:
            return False
        self.put(self.old)
        return True

    def diff(self):
        """An Ansible diff entry."""
        return {'before_header': self.shown, 'after_header': self.shown,
                'before': self.old or '', 'after': self.new or ''}


class Step(object):
    """A program a change runs after its files: ``reverse`` undoes it (run even after it failed half-way);
    ``rerun`` says it is run again once the files are put back; ``partial`` is what a failure may leave."""

    def __init__(self, command, reverse=None, rerun=False, partial=None):
        self.command = command
        self.reverse = reverse
        self.rerun = rerun
        self.partial = partial


class BootChange(Change):
    """Files written (and put back), then programs run (and reversed or run again): the undo rule for both."""

    def __init__(self, key, edits, steps, actions, before, after, diffs=(), reason=None):
        super(BootChange, self).__init__(key, before, after, actions, self._carry_out, self._put_all_back,
                                         entry=False)
        self.edits = [e for e in edits if e.watched or e.old != e.new]
        self.steps = list(steps)
        self.diffs = [e.diff() for e in self.edits if not e.watched] + list(diffs)
        self.reason = reason

    def _carry_out(self):
        written, ran = [], []
        try:
            for edit in self.edits:
                if not edit.watched:
                    edit.put(edit.new)
                written.append(edit)
            for step in self.steps:
                ran.append(step)
                step.command.run()
        except VfioError as exc:
            failed = ran[-1] if ran and len(written) == len(self.edits) else None
            done, not_done = self._put_back([s.reverse for s in reversed(ran) if s.reverse], reversed(written))
            if done:
                exc.add_note('put back: %s' % ', '.join(done))
            if not_done:
                exc.add_note('could not put back: %s' % ', '.join(not_done))
            if failed is not None and failed.partial:
                exc.add_note(failed.partial)
            raise

    def _put_all_back(self):
        done, not_done = self._put_back([s.reverse for s in reversed(self.steps) if s.reverse], reversed(self.edits),
                                        [s.command for s in self.steps if s.rerun])
        if not_done:
            raise ConfigError('%s: could not put back %s' % (self.key, ', '.join(not_done)), value=self.key)

    @staticmethod
    def _put_back(reverses, edits, reruns=()):
        """Reverse the commands, put the files back, run the rebuilds again: ``(done, not_done)``, each step tried."""
        steps = [(c.shown, c.run) for c in reverses] + [(e.shown, e.put_back) for e in edits] + \
            [(c.shown, c.run) for c in reruns]
        done, not_done = [], []
        for shown, step in steps:
            try:
                if step() is not False:  # put_back says False when the file was as it should be already
                    done.append(shown)
            except VfioError as exc:
                not_done.append('%s (%s)' % (shown, exc.msg))
        return done, not_done


def _read(host, path):
    return _fileio.read_text(path, host.display(path))


def modprobe_change(host, request):
    """The change that writes (or removes) the modprobe.d file."""
    path = host.path(*MODPROBE_CONF)
    old = _read(host, path)
    new = _modprobe.conf_text(request.ids, request.softdep_drivers, request.blacklist)
    actions = [] if old == new else ['%s %s' % ('remove' if new is None else 'write', host.display(path))]
    edit = FileEdit(host, path, old, new)
    return BootChange('modprobe.d', [edit], [], actions, OrderedDict([('content', old)]),
                      OrderedDict([('content', new)]), reason='%s %s' % (
                          host.display(path), 'removed' if new is None else 'written'))


def cmdline_change(host, asked, plan):
    """The change that gives the configured kernel command line the arguments of ``asked``.

    Records on ``plan`` where the command line is kept (``boot_config``) and any warnings.
    """
    edits, steps, actions, diffs, added = [], [], [], [], []
    before, after = OrderedDict(), OrderedDict()
    if not asked:
        return BootChange('kernel command line', edits, steps, actions, before, after)
    places = plan.boot_config

    def file_edit(path, old, new, new_args, what):
        shown = host.display(path)
        places.append(shown)
        before[shown], after[shown] = old, new
        if old != new:
            edits.append(FileEdit(host, path, old, new))
            actions.append('edit %s (%s)' % (shown, what))
            added.extend(a for a in new_args if a not in added)

    path = host.path(*KERNEL_CMDLINE)
    text = _read(host, path)
    if text is not None:
        new, result = _bls.edit_cmdline_file(text, asked)
        file_edit(path, text, new, result.added, _cmdline.describe(result.removed, result.added))
    grubby = find(host, 'grubby')
    if grubby:
        found = _grubby.entries(host, grubby)
        places.append('grubby (%d boot entries)' % len(found))
        calls, args_after = _grubby.plan_calls(host, grubby, found, asked)
        if calls:
            grub_default = host.path(*GRUB_DEFAULT)  # grubby --update-kernel=ALL may edit it too: put back on undo
            edits.append(FileEdit(host, grub_default, _read(host, grub_default), None, watched=True))
            for call in calls:
                steps.append(Step(call.command, reverse=call.reverse))
                actions.append('run %s' % call.command.shown)
                added.extend(a for a in call.added if a not in added)
            diffs.append({'before_header': 'grubby --info=ALL', 'after_header': 'grubby --info=ALL',
                          'before': ''.join('%s: %s\n' % (k, a) for k, a in found),
                          'after': ''.join('%s: %s\n' % (k, a) for k, a in args_after.items())})
            before['grubby'] = OrderedDict(found)
            after['grubby'] = args_after
    else:
        for entry in _bls.entries(host):
            old = _read(host, entry) or ''
            new, result = _bls.edit_entry(old, asked)
            file_edit(entry, old, new, result.added, _cmdline.describe(result.removed, result.added))
        path = host.path(*GRUB_DEFAULT)
        text = _read(host, path)
        if text is not None:
            shown = host.display(path)
            result = _grub.edit(text, asked, shown)
            file_edit(path, text, result.text, [a for _n, _r, add in result.changes for a in add], result.describe())
            for other in _grub.overridden_in(host):
                plan.warnings.append('%s sets GRUB_CMDLINE_LINUX again after %s without keeping its value: the '
                                     'arguments added there do not reach grub.cfg' % (other, shown))
            if result.changed:
                command = _grub.mkconfig(host)
                if command is None:
                    raise ConfigError('%s needs %s, but none of update-grub, grub2-mkconfig and grub-mkconfig is '
                                      'found to make grub.cfg from it%s' % (shown, result.describe(), _where(host)),
                                      path=shown, value=result.describe())
                steps.append(Step(command, rerun=True))
                actions.append('run %s' % command.shown)
    if not places:
        wanted = ' '.join(w.arg for w in asked)
        raise ConfigError('the kernel command line needs %s, but nothing that keeps it is found: no grubby%s, no BLS '
                          'entries (/boot/loader/entries), no /etc/default/grub, no /etc/kernel/cmdline'
                          % (wanted, _where(host)), value=wanted)
    return BootChange('kernel command line', edits, steps, actions, before, after, diffs,
                      reason='kernel command line gets %s' % ' '.join(added) if added else
                      'kernel command line changed')


def _where(host):
    return '' if host.is_real else ' (programs are looked for on PATH below the root %s only)' % host.root


def initramfs_change(host, request, modprobe_changed, plan):
    """The change that puts vfio-pci into the initramfs (or takes it out) and rebuilds the images when needed."""
    generator = _initramfs.detect(host, request.initramfs)
    plan.initramfs = generator.kind if generator else None
    if generator is None:
        if request.ids and request.initramfs == 'auto':
            plan.warnings.append('no initramfs generator (update-initramfs, dracut) is found%s: vfio-pci is not put '
                                 'into an initramfs, so a host driver loaded from one claims the devices first'
                                 % _where(host))
        return None
    old = _read(host, generator.path)
    new = generator.text(old, bool(request.ids))
    edit = FileEdit(host, generator.path, old, new)
    actions = []
    if old != new:
        actions.append('%s %s' % ('remove' if new is None else 'write', edit.shown))
    steps = []
    if actions or modprobe_changed:
        steps.append(Step(generator.command, rerun=True,
                          partial='images that %s rebuilt before it failed keep the new configuration until it runs '
                                  'again' % generator.command.shown))
        actions.append('run %s' % generator.command.shown)
    return BootChange('initramfs', [edit], steps, actions, OrderedDict([('content', old)]),
                      OrderedDict([('content', new)]), reason='initramfs rebuilt (%s)' % generator.kind)


class BootPlan(Plan):
    """The three changes, and the report: the IOMMU, the command lines, and whether to reboot."""

    def __init__(self, host, request):
        super(BootPlan, self).__init__()
        self.host = host
        self.request = request
        self.iommu = None
        self.running = ''
        self.asked = []
        self.boot_config = []
        self.initramfs = None

    @property
    def missing_from_running(self):
        """The arguments asked for that the running kernel was not booted with."""
        return _cmdline.missing(self.running, self.asked)

    @property
    def reboot_required(self):
        """True if a change is made (or predicted), or the running kernel lacks an argument asked for."""
        return self.changed or bool(self.missing_from_running)

    def message(self):
        """What the run did or would do, and whether a reboot is needed."""
        reasons = [c.reason for c in self.pending if c.reason]
        missing = self.missing_from_running
        if missing:
            reasons.append('the running kernel was booted without %s (/proc/cmdline)' % ' '.join(missing))
        if reasons:
            return 'reboot required for vfio-pci (the module never reboots): %s' % '; '.join(reasons)
        return 'the host is ready for vfio-pci: its boot configuration is in place and the running kernel uses it'

    def report(self, applied):
        """The module's result keys."""
        return OrderedDict([
            ('actions', [a for c in self.changes for a in c.actions]),
            ('ids', self.request.ids),
            ('iommu', self.iommu),
            ('cmdline', self.running),
            ('kernel_args', [w.arg for w in self.asked]),
            ('missing_from_running', self.missing_from_running),
            ('boot_config', self.boot_config),
            ('initramfs', self.initramfs),
            ('modprobe_conf', self.host.display(self.host.path(*MODPROBE_CONF)) if self.request.ids else None),
            ('reboot_required', self.reboot_required),
            ('msg', self.message()),
        ])

    def diff(self):
        """One diff entry per file (and one for grubby's entries) that changes."""
        return [d for c in self.pending for d in c.diffs]


def plan_vfio_pci_boot(host, request):
    """The plan that takes the host's boot configuration to ``request`` (a BootRequest). Reads only."""
    plan = BootPlan(host, request)
    plan.iommu = _iommu.state(host)
    plan.running = _iommu.running_cmdline(host)
    arg = _iommu.iommu_arg(host, request.iommu, plan.iommu['enabled'], plan.running)
    plan.asked = request.asked(arg)
    if not plan.iommu['enabled'] and request.iommu == 'none':
        plan.warnings.append('the IOMMU is off and iommu is none: vfio-pci cannot take devices until the IOMMU is on '
                             '(intel_iommu=on or amd_iommu=on on the kernel command line, and VT-d or AMD-Vi in the '
                             'firmware)')
    modprobe = plan.add(modprobe_change(host, request))
    plan.add(cmdline_change(host, plan.asked, plan))
    initramfs = initramfs_change(host, request, bool(modprobe.actions), plan)
    if initramfs is not None:
        plan.add(initramfs)
    return plan
