# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persistent mdev definitions: the JSON files mdevctl keeps at ``/etc/mdevctl.d/<parent>/<uuid>``.

Written byte for byte as mdevctl writes them (keys ``mdev_type``, ``start``, ``attrs``,
pretty-printed with two spaces, no trailing newline), so that either tool reads what the
other wrote. Keys mdevctl does not know are kept, after its own.
"""

import errno as _errno
import json
import os
from collections import OrderedDict

from .._core import fileio as _fileio
from .._core import names as _names
from .._core.errors import ConfigError, InvalidArgument
from .._core.host import MDEVCTL_DIR
from .._core.names import printable

SCRIPTS_DIR = 'scripts.d'
AUTOSTART = ('auto', 'manual')
MAX_DEPTH = 128  # levels of JSON arrays and objects read (serde_json, mdevctl's reader, stops near there too)
# one decoder for every file (json.loads with options builds a new one per call); its objects are plain
# dicts, which keep the file's key order
_DECODER = json.JSONDecoder()


def _check_tree(obj, where):
    """ConfigError unless ``obj`` is at most MAX_DEPTH levels deep and all its strings are text.

    Walked without recursion, so that no depth of nesting can exhaust the stack here or later
    (writing the definition back, a module's JSON result).
    """
    pending = [(obj, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            try:
                value.encode('utf-8')
            except UnicodeEncodeError:
                raise ConfigError('%s has a string with a lone surrogate escape (such as "\\udcff"), which is not '
                                  'text' % where, path=where)
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise ConfigError(_too_deep(where), path=where)
            if isinstance(value, dict):
                pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))


def _may_be_odd(text):
    """False when ``text`` (strict UTF-8, as read) can hold neither a lone surrogate nor deep nesting.

    A surrogate can only come from a ``\\u`` escape, and every level needs a bracket: a file
    without escapes and with few brackets, as every file mdevctl writes, need not be walked.
    """
    return '\\u' in text or text.count('[') + text.count('{') > MAX_DEPTH


def _too_deep(where):
    return '%s is nested too deeply: more than %d levels of JSON arrays and objects' % (where, MAX_DEPTH)


def normalize_attrs(attrs, field='attrs', strict=False):
    """Validate mdevctl-style attrs (a list of one-key mappings) into ``[(name, value)]``.

    Values become strings as mdevctl stores them; an integer from YAML is written in decimal,
    so quote hex values such as ``'0xab'`` to keep them as written. With ``strict`` (what a
    definition file or a callout script gives), a value must already be a string: mdevctl
    rejects a file with any other value, so it is never read as one nor rewritten.
    """
    if attrs is None:
        return None
    if not isinstance(attrs, list):
        raise InvalidArgument('%s must be a list of one-key mappings such as [{assign_adapter: "5"}], got %s'
                              % (field, type(attrs).__name__), field=field, value=repr(attrs)[:200])
    out = []
    for index, item in enumerate(attrs):
        if not isinstance(item, dict) or len(item) != 1:
            raise InvalidArgument('%s[%d] must be a mapping with exactly one key (an attribute name), got %r'
                                  % (field, index, item), field=field, value=repr(item)[:200])
        (name, value), = item.items()
        name = _names.attr_name(name, field='%s[%d] name' % (field, index))
        if strict and not isinstance(value, str):
            raise InvalidArgument('%s[%d] %s: the value is %s, not a string, which mdevctl does not accept'
                                  % (field, index, name, json.dumps(value)[:64]), field=field,
                                  value=repr(value)[:200])
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise InvalidArgument('%s[%d] %s: the value must be a string or an integer, got %r'
                                  % (field, index, name, value), field=field, value=repr(value)[:200])
        value = str(value)
        if '\n' in value or '\x00' in value or len(value) > 4000:
            raise InvalidArgument('%s[%d] %s: the value has a newline or NUL or is too long'
                                  % (field, index, name), field=field, value=value[:64])
        out.append((name, value))
    return out


def attrs_json(attrs):
    """``[(name, value)]`` as mdevctl's list of one-key mappings."""
    return [{k: v} for k, v in attrs]


class Definition(object):
    """One persistent mdev: uuid, parent, mdev type, start (auto/manual), attrs and unknown keys."""

    def __init__(self, uuid, parent, mdev_type, start='manual', attrs=None, extra=None):
        self.uuid = uuid
        self.parent = parent
        self.mdev_type = mdev_type
        self.start = start
        self.attrs = list(attrs or [])
        self.extra = OrderedDict(extra or ())

    def copy(self, **changes):
        """A copy with some fields replaced."""
        d = Definition(self.uuid, self.parent, self.mdev_type, self.start, self.attrs, self.extra)
        for key, value in changes.items():
            setattr(d, key, value)
        return d

    def to_json(self):
        """The JSON object mdevctl stores (and passes to callouts)."""
        obj = OrderedDict([('mdev_type', self.mdev_type), ('start', self.start), ('attrs', attrs_json(self.attrs))])
        for key, value in self.extra.items():
            obj.setdefault(key, value)
        return obj

    def text(self):
        """The file content, exactly as mdevctl writes it."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def __eq__(self, other):
        return isinstance(other, Definition) and self.text() == other.text() and \
            (self.uuid, self.parent) == (other.uuid, other.parent)

    def __ne__(self, other):
        return not self == other

    @classmethod
    def from_text(cls, uuid, parent, text, where):
        """Parse a file; ConfigError names the file when it is not what mdevctl writes."""
        try:
            obj = _DECODER.decode(text)
        except ValueError as exc:
            raise ConfigError('%s is not valid JSON: %s' % (where, exc), path=where)
        except RecursionError:  # the parser is recursive: '[' * 100000 exhausts the stack
            raise ConfigError(_too_deep(where), path=where)
        if _may_be_odd(text):
            _check_tree(obj, where)
        if not isinstance(obj, dict) or not isinstance(obj.get('mdev_type'), str):
            raise ConfigError('%s has no "mdev_type" string' % where, path=where)
        start = obj.get('start', 'manual')
        if start not in AUTOSTART:
            raise ConfigError('%s: "start" is %r, not auto or manual' % (where, start), path=where)
        try:
            attrs = normalize_attrs(obj.get('attrs', []), field='%s attrs' % where, strict=True)
        except InvalidArgument as exc:
            raise ConfigError(exc.msg, path=where)
        extra = OrderedDict((k, v) for k, v in obj.items() if k not in ('mdev_type', 'start', 'attrs'))
        return cls(uuid, parent, obj['mdev_type'], start, attrs, extra)


class ConfigStore(object):
    """``/etc/mdevctl.d``: one directory per parent, one file per uuid.

    A definition is known by its parent and uuid together: mdevctl lets the same uuid be defined
    under several parents (``-p`` tells them apart), so nothing here is keyed by the uuid alone.
    """

    def __init__(self, host):
        self.host = host
        self.dir = host.path(*MDEVCTL_DIR)
        self._cache = None
        self.problems = []
        self.names = {}  # (parent, uuid) -> the file's path relative to the directory, as found

    def path(self, parent, uuid):
        """The file of one definition (under the name it was found with, such as an uppercase UUID).

        ``parent`` may be the printable name a problem reports for a directory whose name is not UTF-8.
        """
        found = self.names.get((parent, uuid))
        if found:
            return os.path.join(self.dir, found)
        return os.path.join(self.dir, parent, uuid)

    def display(self, parent, uuid):
        """The file's path as on the host, printable."""
        return self.host.display(self.path(parent, uuid))

    def _problem(self, uuid, parent, path, msg):
        self.problems.append({'uuid': uuid, 'parent': parent, 'path': path, 'msg': msg})

    def _parents(self):
        """The names in /etc/mdevctl.d; one that cannot be listed (other than missing) is a problem."""
        try:
            return sorted(os.listdir(self.dir))
        except OSError as exc:
            if exc.errno != _errno.ENOENT:
                shown = self.host.display(self.dir)
                self._problem(None, None, shown, 'cannot list %s: %s' % (shown, exc.strerror))
            return []

    def definitions(self):
        """Every readable definition, ``{(parent, uuid): Definition}`` sorted by parent and uuid.

        Unreadable files go to ``problems``.
        """
        if self._cache is not None:
            return self._cache
        found, self.problems, self.names = OrderedDict(), [], {}
        for parent in self._parents():
            pdir = os.path.join(self.dir, parent)
            if parent == SCRIPTS_DIR or not os.path.isdir(pdir) or os.path.islink(pdir):
                continue
            shown = printable(parent)  # differs when the name is not UTF-8: no parent device has such a name
            try:
                names = sorted(os.listdir(pdir))
            except OSError as exc:
                where = self.host.display(pdir)
                self._problem(None, shown, where, 'cannot list %s: %s' % (where, exc.strerror))
                continue
            for name in names:
                try:
                    uuid = _names.uuid(name)
                except InvalidArgument:
                    continue  # not a definition (mdevctl ignores such files too)
                # joined by hand: os.path.join costs more than the read on a host with a thousand files
                self.names[(shown, uuid)] = parent + '/' + name
                path = pdir + '/' + name
                where = self.host.display(path)
                try:
                    if shown != parent:
                        raise ConfigError('%s: the directory name %s is not UTF-8, so it names no parent device'
                                          % (where, shown), path=where)
                    text = _fileio.read_text(path, where)
                    found[(parent, uuid)] = Definition.from_text(uuid, parent, text, where)
                except ConfigError as exc:
                    self._problem(uuid, shown, where, exc.msg)
        self._cache = found
        return found

    def all(self):
        """Readable definitions by uuid alone, ``{uuid: Definition}``, for callers that know of one parent a uuid.

        Where a uuid is defined under several parents only the first parent's definition is here:
        use ``definitions()``, which has them all.
        """
        out = OrderedDict()
        for (_parent, uuid), d in self.definitions().items():
            out.setdefault(uuid, d)
        return out

    def parents_of(self, uuid):
        """The parents under which ``uuid`` has a file, readable or not, sorted."""
        self.definitions()
        return sorted(set(p for p, u in self.definitions() if u == uuid) |
                      set(p['parent'] for p in self.problems if p['uuid'] == uuid))

    def get(self, uuid, parent=None):
        """The definition of ``uuid`` under ``parent``, or None.

        Without ``parent``, the one definition of ``uuid``; InvalidArgument names the parents when
        there are several.
        """
        defs = self.definitions()
        if parent is not None:
            return defs.get((parent, uuid))
        found = [d for (p, u), d in defs.items() if u == uuid]
        if len(found) > 1:
            raise InvalidArgument('mdev %s is defined under more than one parent (%s); give the parent' % (
                uuid, ', '.join(d.parent for d in found)), value=uuid, field='parent')
        return found[0] if found else None

    def problem(self, uuid, parent=None):
        """The error that keeps ``uuid``'s file (under ``parent`` when given) from being read, or None."""
        self.definitions()
        return next((p for p in self.problems if p['uuid'] == uuid and parent in (None, p['parent'])), None)

    def _written(self, uuid, parent, path, definition):
        # Keep the cache in step with the file instead of reading the whole directory again after
        # each write: converging hundreds of devices would otherwise cost a read of every file per file.
        key = (parent, uuid)
        self.problems = [p for p in self.problems if (p['parent'], p['uuid']) != key]
        if definition is None:
            self._cache.pop(key, None)
            self.names.pop(key, None)
        else:
            self._cache[key] = definition.copy()
            self.names[key] = os.path.join(parent, os.path.basename(path))

    def write(self, definition):
        """Write a definition atomically (mode 0644, no symlink followed)."""
        self.definitions()
        path = self.path(definition.parent, definition.uuid)
        if os.path.islink(self.dir):  # the parent's directory is checked by write_atomic, this one here
            shown = self.host.display(self.dir)
            raise ConfigError('%s is a symbolic link; nothing is written through it' % shown, path=shown)
        try:
            _fileio.write_atomic(path, definition.text(), 0o644, self.host.display(path), self.host.tools)
        except ConfigError:
            self._cache = None  # the file may or may not be there: read it again when next asked
            raise
        self._written(definition.uuid, definition.parent, path, definition)

    def remove_file(self, parent, uuid):
        """Remove a definition's file whatever its content (an unreadable one, on request)."""
        self.definitions()
        path = self.path(parent, uuid)
        try:
            _fileio.remove(path, self.host.display(path))
        except ConfigError:
            self._cache = None
            raise
        self._written(uuid, parent, path, None)

    def remove(self, definition):
        """Remove a definition's file (and its parent directory when it becomes empty)."""
        path = self.path(definition.parent, definition.uuid)
        self.remove_file(definition.parent, definition.uuid)
        try:
            os.rmdir(os.path.dirname(path))
        except OSError:
            pass

    def age(self, parent, uuid):
        """When the definition's file was last written (ns since the epoch), or None."""
        try:
            return os.stat(self.path(parent, uuid)).st_mtime_ns
        except OSError:
            return None
