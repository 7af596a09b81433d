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
