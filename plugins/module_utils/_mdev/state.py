# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mdev state machine: from what a request asks and what the host has, to the steps between.

Pure: no file is read here, so every case is a row of a table in the unit tests. A step is
``(name, definition)`` with name one of ``stop``, ``undefine``, ``define``, ``modify``,
``start``, ``live``; steps come in the order they are carried out.
"""


def targets(state, persistent, type_given, before, running, desired):
    """``(definition wanted, running wanted)`` for a request.

    ``defined`` keeps the running device as it is; ``started`` defines only when persistent;
    ``stopped`` keeps (or, when persistent and there is something to define, writes) the definition.
    """
    if state == 'absent':
        return None, False
    if state == 'defined':
        return desired, bool(running)
    if state == 'started':
        return (desired if persistent else before), True
    keep = desired if persistent and (before or type_given) else before
    return keep, False


def steps(before, running, want_def, want_running, desired, live, running_differs=lambda: False, running_def=None):
    """``(steps, warnings)`` that take a device from (``before``, ``running``) to the targets.

    Files come first: writing /etc is what most often fails (read-only, full), and a failure
    there must come before a guest's device is stopped. ``running_def`` is the running device
    as it runs (its attributes), kept with the stop step so that an undo re-creates it as it
    was. ``running_differs()`` says whether the running device's own state (a vfio-ap matrix)
    differs from ``desired``; it is asked only for a device that runs and keeps running.
    """
    out, warnings = [], []
    if before and want_def is None:
        out.append(('undefine', before))
    if want_def is not None and want_def != before:
        out.append(('modify' if before else 'define', want_def))
    if running and not want_running:
        out.append(('stop', running_def or before or desired))
    if want_running and not running:
        out.append(('start', desired))
    if running and want_running:
        if want_def is not None and before is not None and want_def.attrs != before.attrs:
            stale = 'mdev %s is running with its old attributes; use live: true to change the running device, ' \
                    'or stop and start it' % desired.uuid
        elif running_differs():
            # an interrupted start or a change by hand: the device does not run what it is defined as
            stale = 'mdev %s runs with a matrix that differs from its attributes; use live: true to bring it ' \
                    'in line' % desired.uuid
        else:
            stale = None
        if stale and live:
            out.append(('live', desired))
        elif stale:
            warnings.append(stale)
    return out, warnings


def predict(before, running, planned):
    """``(definition, running)`` after ``planned`` steps: what check mode reports."""
    definition = before
    for name, target in planned:
        if name in ('define', 'modify'):
            definition = target
        elif name == 'undefine':
            definition = None
        elif name == 'start':
            running = (target.parent, target.mdev_type)
        elif name == 'stop':
            running = None
    return definition, running
