# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by a module's task-level options and its ``devices`` entries."""


def entry_options(spec, keys, required=()):
    """The suboptions of a ``devices`` entry, taken from the task's own options.

    Same types, choices and aliases; no defaults, because an entry that leaves an option out
    inherits the task's value.
    """
    out = {}
    for key in keys:
        option = dict((k, v) for k, v in spec[key].items() if k not in ('default', 'required'))
        if key in required:
            option['required'] = True
        out[key] = option
    return out


def host_options(changing=True):
    """The options every module takes about the host: ``root`` and, for changing modules, ``lock_timeout``.

    ``root`` has no default here: an unset root falls back to ``VFIO_PASSTHROUGH_ROOT``, then ``/``
    (``_core.host.Host``), so that an AWX job or a chroot shows it in the task when it is given.
    """
    out = {'root': {'type': 'path'}}
    if changing:
        out['lock_timeout'] = {'type': 'int', 'default': 300}
    return out
