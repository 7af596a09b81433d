# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mdevctl's callout protocol, so that the same scripts (s390-tools' ap-check among them)
check this collection's changes exactly as they check mdevctl's.

A script is run as ``script -t <mdev type> -e <event> -a <action> -s <state> -u <uuid> -p <parent>``
with the device's JSON on stdin. Scripts are looked up in ``/usr/lib/mdevctl/scripts.d/callouts``
and then in ``/etc/mdevctl.d/scripts.d/callouts``, sorted by name within each; a file that cannot
be run, or a script killed by a signal, is passed over. Which script handles an operation is
chosen as mdevctl (1.3 and later) chooses it:

1. Once per parent and mdev type, every script is asked ``get capabilities`` with mdevctl's
   version 2 capabilities (``{"provides": ...}``) on stdin. The first that does not answer 2
   ("not my type") and prints a valid version JSON (``{"supports": {"version": N, "actions":
   [...], "events": [...]}}``) is the versioned script of that parent and type. Event and action
   names it does not know are accepted (and ignored), as by mdevctl; anything else that is not
   such a JSON (an integer version that is negative or a float, a missing list) is not one.
2. A versioned script handles every callout of its parent and type, alone: an event and action
   it does not declare is an error (so a ``pre`` it does not declare refuses the operation unless
   forced), as is any exit other than 0, 2 included.
3. Without one, the first script that does not answer 2 handles the ``pre`` event; if it
   answers 0 it also gets the ``post`` event, otherwise the ``post`` event is looked up again.
   Any other exit of it is a failure.

Every notifier in the ``notifiers`` directories is told of each change and may fail without effect.
"""

import json
import os
from collections import OrderedDict, namedtuple

from .._core.errors import CalloutError
from .._core.host import CALLOUT_DIRS, NOTIFIER_DIRS
from .._core.tools import Timeout

NOT_MY_TYPE = 2
Finished = namedtuple('Finished', 'returncode stdout stderr')  # a script's run, as host.tools.run gives it
U32_MAX = 2 ** 32 - 1
VERSION_2 = OrderedDict([
    ('version', 2),
    ('actions', ['start', 'stop', 'define', 'undefine', 'modify', 'attributes', 'capabilities']),
    ('events', ['pre', 'post', 'notify', 'get', 'live'])])
# what mdevctl assumes of a script that answers without declaring capabilities
VERSION_1 = {'version': 1, 'actions': ['start', 'stop', 'define', 'undefine', 'modify', 'attributes'],
             'events': ['pre', 'post', 'notify', 'get']}


def _pairs(pairs):
    """An object hook that keeps duplicate keys visible (serde refuses a field given twice)."""
    out = OrderedDict()
    for key, value in pairs:
        if key in out:
            out.setdefault('\x00duplicate', True)
        out[key] = value
    return out


def _names_list(value):
    """A list of event or action names as serde reads mdevctl's enums, or None when it cannot.

    A name is a string (an unknown one is kept: mdevctl reads it as "unknown") or an object
    ``{"name": null}``.
    """
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and len(item) == 1 and '\x00duplicate' not in item and \
                list(item.values())[0] is None:
            out.append(list(item)[0])
        else:
            return None
    return out


def _struct(value, fields):
    """``{field: value}`` of a serde struct given as an object or as an array of its fields in order."""
    if isinstance(value, dict):
        if '\x00duplicate' in value:
            return None
        return dict((f, value[f]) for f in fields if f in value)
    if isinstance(value, list) and len(value) == len(fields):
        return dict(zip(fields, value))
    return None


def parse_capabilities(text):
    """A script's answer to ``get capabilities`` as ``{version, actions, events}``, or None.

    Read as mdevctl reads it: trailing NULs are dropped, the rest must be one JSON value in
    which ``supports`` holds a version (an integer from 0 to 2**32-1), ``actions`` and
    ``events`` (lists of names); other keys are ignored.
    """
    try:
        obj = json.loads(text.rstrip('\x00'), object_pairs_hook=_pairs)
    except ValueError:
        return None
    top = _struct(obj, ('supports',))
    if top is None or top.get('supports') is None:
        return None
    caps = _struct(top['supports'], ('version', 'actions', 'events'))
    if caps is None or set(caps) != set(('version', 'actions', 'events')):
        return None
    version = caps['version']
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= U32_MAX:
        return None
    actions, events = _names_list(caps['actions']), _names_list(caps['events'])
    if actions is None or events is None:
        return None
    return {'version': version, 'actions': actions, 'events': events}


class _Operation(object):
    """One mdevctl operation's choice of script: the versioned one, or the one a pre found."""

    def __init__(self, versioned):
        self.script, self.caps = versioned if versioned else (None, None)


class Callouts(object):
    """Run the callout and notifier scripts found below the host's root."""

    def __init__(self, host, timeout=120):
        self.host = host
        self.timeout = timeout
        self.ran = []
        self._versioned = {}  # (parent, mdev type) -> (script, capabilities) or None, asked once

    def _scripts(self, dirs):
        found = []
        for parts in dirs:
            d = self.host.path(*parts)
            try:
                names = sorted(os.listdir(d))
            except OSError:
                continue
            found += [os.path.join(d, n) for n in names
                      if os.path.isfile(os.path.join(d, n)) and os.access(os.path.join(d, n), os.X_OK)]
        return found

    @property
    def present(self):
        """True if any callout or notifier script exists."""
        return bool(self._scripts(CALLOUT_DIRS) or self._scripts(NOTIFIER_DIRS))

    def _run(self, script, definition, event, action, state, stdin):
        args = [script, '-t', definition.mdev_type, '-e', event, '-a', action, '-s', state,
                '-u', definition.uuid, '-p', definition.parent]
        try:
            proc = Finished(*self.host.tools.run(args, stdin, self.timeout))
        except (OSError, Timeout) as exc:
            error = CalloutError('callout script %s (%s-%s) could not run: %s' % (
                self.host.display(script), event, action, exc), path=self.host.display(script))
            error.timed_out = isinstance(exc, Timeout)
            raise error
        self.ran.append({'script': self.host.display(script), 'event': event, 'action': action,
                         'state': state, 'rc': proc.returncode})
        return proc

    def _search(self, definition, event, action, state, stdin, accept=None):
        """(script, process) of the first script that handles the type (and that ``accept``s), or (None, None).

        A script that cannot be started or is killed by a signal is passed over, as by mdevctl; one
        that does not finish in time is an error.
        """
        for script in self._scripts(CALLOUT_DIRS):
            try:
                proc = self._run(script, definition, event, action, state, stdin)
            except CalloutError as exc:
                if getattr(exc, 'timed_out', False):
                    raise
                continue
            if proc.returncode < 0 or proc.returncode == NOT_MY_TYPE:
                continue
            if accept is not None and not accept(proc):
                continue
            return script, proc
        return None, None

    def versioned(self, definition):
        """``(script, capabilities)`` of the versioned script of the device's parent and type, or None."""
        key = (definition.parent, definition.mdev_type)
        if key not in self._versioned:
            provides = json.dumps(OrderedDict([('provides', VERSION_2)]))
            script, proc = self._search(definition, 'get', 'capabilities', 'none', provides,
                                        lambda p: parse_capabilities(p.stdout) is not None)
            self._versioned[key] = (script, parse_capabilities(proc.stdout)) if script else None
        return self._versioned[key]

    def _fail(self, script, proc, event, action, definition):
        message = (proc.stderr or proc.stdout or '').strip()
        raise CalloutError('callout script %s refused %s of mdev %s (%s-%s, exit %d)%s' % (
            self.host.display(script), action, definition.uuid, event, action, proc.returncode,
            ': ' + message if message else ''), path=self.host.display(script), value=definition.uuid,
            rc=proc.returncode, stderr=message)

    def _call(self, op, definition, event, action, state, stdin):
        """One callout of an operation: the process that handled it, or None when no script did."""
        if op.script is not None:
            if action not in op.caps['actions'] or event not in op.caps['events']:
                shown = self.host.display(op.script)
                raise CalloutError('callout script %s does not support %s-%s of mdev %s (it declares the events %s and '
                                   'the actions %s)' % (shown, event, action, definition.uuid,
                                                        ', '.join(op.caps['events']) or 'none',
                                                        ', '.join(op.caps['actions']) or 'none'),
                                   path=shown, value=definition.uuid)
            proc = self._run(op.script, definition, event, action, state, stdin)
            if proc.returncode > 0:
                self._fail(op.script, proc, event, action, definition)
            return proc
        script, proc = self._search(definition, event, action, state, stdin)
        if script is None:
            return None
        if proc.returncode != 0:
            self._fail(script, proc, event, action, definition)
        op.script, op.caps = script, VERSION_1
        return proc

    def notify(self, definition, action, state):
        """Tell every notifier; their failures do not matter (as in mdevctl)."""
        stdin = json.dumps(definition.to_json())
        for script in self._scripts(NOTIFIER_DIRS):
            try:
                self._run(script, definition, 'notify', action, state, stdin)
            except CalloutError:
                continue

    def run(self, action, definition, func, force=False):
        """``pre``, then ``func()``, then ``post`` (success or failure) and the notifiers."""
        stdin = json.dumps(definition.to_json())
        op = _Operation(self.versioned(definition))
        warning = None
        try:
            self._call(op, definition, 'pre', action, 'none', stdin)
        except CalloutError as exc:
            if not force:
                self.notify(definition, action, 'failure')
                raise
            if 'rc' in exc.extra:
                warning = 'forced %s of mdev %s despite callout %s (exit %d): %s' % (
                    action, definition.uuid, exc.path, exc.extra['rc'], exc.extra.get('stderr', ''))
            else:
                warning = 'forced %s of mdev %s despite: %s' % (action, definition.uuid, exc.msg)
        state = 'failure'
        try:
            func()
            state = 'success'
        finally:
            try:
                self._call(op, definition, 'post', action, state, stdin)
            except CalloutError:
                pass  # mdevctl ignores a failing post callout too; the operation's own result counts
            self.notify(definition, action, state)
        return warning

    def supports_live(self, definition):
        """The versioned script if it declares live changes (the ``live`` event, the ``modify`` action), or None.

        Only the versioned script of the parent and type is asked, as by mdevctl: when it does not
        declare them, no other script carries the change out.
        """
        found = self.versioned(definition)
        if found and 'live' in found[1]['events'] and 'modify' in found[1]['actions']:
            return found[0]
        return None

    def live(self, script, definition):
        """Let a version 2 script carry out a live modify, as mdevctl does."""
        proc = self._run(script, definition, 'live', 'modify', 'none', json.dumps(definition.to_json()))
        if proc.returncode > 0:
            self._fail(script, proc, 'live', 'modify', definition)
        self.notify(definition, 'modify', 'success')

    def get_attributes(self, definition):
        """The attrs a script reads from a running device (``get attributes``), or None when none answers.

        Read as mdevctl reads them: an empty answer is none, exactly ``[{}]`` is an empty list,
        otherwise JSON (trailing NULs dropped) that must be null or a list.
        """
        op = _Operation(self.versioned(definition))
        proc = self._call(op, definition, 'get', 'attributes', 'none', '')
        if proc is None:
            return None
        text = proc.stdout
        if text == '':
            return None
        if text == '[{}]':
            text = '[]'
        try:
            attrs = json.loads(text.rstrip('\x00'))
        except ValueError:
            attrs = ValueError
        if attrs is ValueError or not isinstance(attrs, (list, type(None))):
            raise CalloutError('callout script %s returned attributes that are not %s: %r' % (
                self.host.display(op.script), 'JSON' if attrs is ValueError else 'a list',
                text.strip()[:200]), path=self.host.display(op.script))
        return attrs
