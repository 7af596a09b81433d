# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mdevctl's callout protocol, so that the same scripts (s390-tools' ap-check among them)
check this collection's changes exactly as they check mdevctl's.

A script is run as ``script -t <mdev type> -e <event> -a <action> -s <state> -u <uuid> -p <parent>``
with the device's JSON on stdin. Exit 2 means "not my type" (the next script is tried), 0 is
success, anything else is a failure. The first script that does not answer 2 handles the
whole operation. Scripts are looked up in ``/usr/lib/mdevctl/scripts.d/callouts`` and then in
``/etc/mdevctl.d/scripts.d/callouts``; every notifier in the ``notifiers`` directories is told
of each change and may fail without effect.
"""

import json
import os
import subprocess

from .._core.errors import CalloutError
from .._core.host import CALLOUT_DIRS, NOTIFIER_DIRS

NOT_MY_TYPE = 2
VERSION_2 = {'version': 2,
             'actions': ['start', 'stop', 'define', 'undefine', 'modify', 'attributes', 'capabilities'],
             'events': ['pre', 'post', 'notify', 'get', 'live']}


class Callouts(object):
    """Run the callout and notifier scripts found below the host's root."""

    def __init__(self, host, timeout=120):
        self.host = host
        self.timeout = timeout
        self.ran = []

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
        env = dict(os.environ)
        try:
            proc = subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  encoding='utf-8', errors='replace', timeout=self.timeout, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CalloutError('callout script %s (%s-%s) could not run: %s' % (
                self.host.display(script), event, action, exc), path=self.host.display(script))
        self.ran.append({'script': self.host.display(script), 'event': event, 'action': action,
                         'state': state, 'rc': proc.returncode})
        return proc

    def _first(self, definition, event, action, state, stdin):
        """(script, process) of the first script that handles the type, or (None, None)."""
        for script in self._scripts(CALLOUT_DIRS):
            proc = self._run(script, definition, event, action, state, stdin)
            if proc.returncode != NOT_MY_TYPE:
                return script, proc
        return None, None

    def _fail(self, script, proc, event, action, definition):
        message = (proc.stderr or proc.stdout or '').strip()
        raise CalloutError('callout script %s refused %s of mdev %s (%s-%s, exit %d)%s' % (
            self.host.display(script), action, definition.uuid, event, action, proc.returncode,
            ': ' + message if message else ''), path=self.host.display(script), value=definition.uuid,
            rc=proc.returncode, stderr=message)

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
        script, proc = self._first(definition, 'pre', action, 'none', stdin)
        warning = None
        if script is not None and proc.returncode != 0:
            if not force:
                self.notify(definition, action, 'failure')
                self._fail(script, proc, 'pre', action, definition)
            warning = 'forced %s of mdev %s despite callout %s (exit %d): %s' % (
                action, definition.uuid, self.host.display(script), proc.returncode, (proc.stderr or '').strip())
        state = 'failure'
        try:
            func()
            state = 'success'
        finally:
            if script is not None:
                try:
                    self._run(script, definition, 'post', action, state, stdin)
                except CalloutError:
                    pass  # mdevctl ignores a failing post callout too; the operation's own result counts
            self.notify(definition, action, state)
        return warning

    def supports_live(self, definition):
        """The script that declares (version 2 capabilities) the ``live`` event, or None."""
        provides = json.dumps({'provides': VERSION_2})
        for script in self._scripts(CALLOUT_DIRS):
            proc = self._run(script, definition, 'get', 'capabilities', 'none', provides)
            if proc.returncode == NOT_MY_TYPE:
                continue
            try:
                caps = json.loads(proc.stdout.strip().rstrip('\x00') or 'null')
            except ValueError:
                caps = None
            supports = caps.get('supports') if isinstance(caps, dict) else None
            if not isinstance(supports, dict):
                continue  # no version 2 capabilities: this script cannot do live changes
            events, actions = supports.get('events'), supports.get('actions')
            if isinstance(events, list) and isinstance(actions, list) and 'live' in events and 'modify' in actions:
                return script
        return None

    def live(self, script, definition):
        """Let a version 2 script carry out a live modify, as mdevctl does."""
        proc = self._run(script, definition, 'live', 'modify', 'none', json.dumps(definition.to_json()))
        if proc.returncode != 0:
            self._fail(script, proc, 'live', 'modify', definition)
        self.notify(definition, 'modify', 'success')

    def get_attributes(self, definition):
        """The attrs a script reads from a running device (``get attributes``), or None."""
        script, proc = self._first(definition, 'get', 'attributes', 'none', '')
        if script is None:
            return None
        if proc.returncode != 0:
            self._fail(script, proc, 'get', 'attributes', definition)
        text = proc.stdout.strip().rstrip('\x00')
        if not text or text == '[{}]':
            return [] if text else None
        try:
            return json.loads(text)
        except ValueError:
            raise CalloutError('callout script %s returned attributes that are not JSON: %r' % (
                self.host.display(script), text[:200]), path=self.host.display(script))
