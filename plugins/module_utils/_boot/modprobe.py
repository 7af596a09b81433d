# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Early binding: ``/etc/modprobe.d/vfio-passthrough.conf`` gives vfio-pci its device ids before the host drivers load.

The file holds ``options vfio-pci ids=...`` (vfio-pci binds the devices with these ids when it
loads), ``softdep <driver> pre: vfio-pci`` for each host driver named (loading that driver loads
vfio-pci first, so vfio-pci claims the devices before it), and ``blacklist <driver>`` lines when
asked. Without ids there is nothing to bind early and the file is removed.
"""

import re

from .._core import names as _names
from .._core.errors import InvalidArgument

HEADER = ('# Written by vfio.passthrough (vfio_pci_boot): vfio-pci claims these devices at boot.\n'
          '# Changes here are overwritten by the next run; set the role\'s variables instead.\n')
_MODULE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}\Z')


def pci_id(value, field='ids'):
    """A vfio-pci id in its canonical form: ``10de:1eb8`` (lowercase, vendor and device of 4 digits).

    As vfio-pci reads ``ids=``: vendor and device, then optionally subvendor, subdevice (``ffffffff``
    matches any), class and class mask, each a hexadecimal number.
    """
    fields = _names.pci_id_fields(value, field)  # as driver_override's ids read them
    return ':'.join(f.rjust(4, '0') if i < 2 else (f.lstrip('0') or '0') for i, f in enumerate(fields))


def pci_ids(values, field='ids'):
    """The canonical ids, each once, in the order given."""
    out = []
    for value in values or []:
        canonical = pci_id(value, field)
        if canonical not in out:
            out.append(canonical)
    return out


def module_name(value, field):
    """A kernel module name as modprobe.d names them (``nouveau``, ``snd_hda_intel``)."""
    if not isinstance(value, str) or not _MODULE.match(value):
        raise InvalidArgument('%s %r is not a kernel module name (letters, digits, _ and -)' % (field, value),
                              value=str(value), field=field)
    return value


def module_names(values, field):
    """Module names, each once, in the order given."""
    out = []
    for value in values or []:
        name = module_name(value, field)
        if name not in out:
            out.append(name)
    return out


def conf_text(ids, softdeps=(), blacklist=()):
    """The text of the file for these ids, host drivers and blacklisted modules; None without ids."""
    if not ids:
        return None
    lines = ['options vfio-pci ids=%s' % ','.join(ids)]
    lines += ['softdep %s pre: vfio-pci' % d for d in softdeps]
    lines += ['blacklist %s' % d for d in blacklist]
    return HEADER + '\n'.join(lines) + '\n'
