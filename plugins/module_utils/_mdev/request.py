# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One mediated device as a task asks for it, validated before anything is read."""

from .._core import names as _names
from .._core.errors import InvalidArgument
from .config import AUTOSTART, normalize_attrs

STATES = ('defined', 'started', 'stopped', 'absent')
MATRIX_KEYS = (('adapters', 'assign_adapter'), ('domains', 'assign_domain'),
               ('control_domains', 'assign_control_domain'))


class MdevRequest(object):
    """One device as the user wants it, validated."""

    def __init__(self, uuid=None, parent=None, mdev_type=None, attrs=None, autostart=None, state='started',
                 persistent=True, live=False, force=False, attrs_delete_index=None, attrs_add=None,
                 attrs_add_index=None, matrix=None):
        self.uuid = _names.uuid(uuid) if uuid is not None else None
        self.parent = _names.safe_name(parent, 'parent') if parent is not None else None
        self.mdev_type = _names.safe_name(mdev_type, 'type') if mdev_type is not None else None
        if matrix is not None:
            if attrs is not None:
                raise InvalidArgument('give either attrs or matrix, not both', field='matrix')
            attrs = matrix_attrs(matrix)
        self.attrs = normalize_attrs(attrs)
        self.attrs_add = normalize_attrs(attrs_add, 'attrs_add') or []
        if autostart is not None and autostart not in AUTOSTART:
            raise InvalidArgument('autostart must be auto or manual, not %r' % (autostart,), field='autostart')
        self.autostart = autostart
        if state not in STATES:
            raise InvalidArgument('state must be one of %s, not %r' % (', '.join(STATES), state), field='state')
        self.state = state
        self.persistent = bool(persistent)
        self.live = bool(live)
        self.force = bool(force)
        for name, value in (('attrs_delete_index', attrs_delete_index), ('attrs_add_index', attrs_add_index)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise InvalidArgument('%s must be a non-negative integer, not %r' % (name, value), field=name)
        self.attrs_delete_index = attrs_delete_index
        self.attrs_add_index = attrs_add_index
        self.generated = False  # set when planning gives the request a new uuid
        self.counted = False  # one of ``count`` devices of a parent and type (module option count)
        if self.uuid is None and (self.parent is None or self.mdev_type is None) and state != 'absent':
            raise InvalidArgument('without uuid, parent and type are required (to find the device or create one)',
                                  field='uuid')

    @property
    def edits_definition(self):
        """True if the request says anything of the definition itself (type, attrs, autostart)."""
        return self.mdev_type is not None or self.attrs is not None or self.autostart is not None or \
            bool(self.attrs_add) or self.attrs_delete_index is not None

    def pool(self):
        """What an anonymous request matches: ``(parent, type, attrs)``; devices are shared out among its requests."""
        return (self.parent, self.mdev_type, tuple(self.attrs) if self.attrs is not None else None)

    def edited_attrs(self, base, uuid):
        """The attrs this request leaves: its own (or ``base``), then ``attrs_delete_index``, then ``attrs_add``."""
        attrs = list(self.attrs if self.attrs is not None else base)
        if self.attrs_delete_index is not None:
            if self.attrs_delete_index >= len(attrs):
                raise InvalidArgument('mdev %s: attrs_delete_index %d is out of range (the device has %d attributes)'
                                      % (uuid, self.attrs_delete_index, len(attrs)), field='attrs_delete_index')
            del attrs[self.attrs_delete_index]
        if self.attrs_add:
            at = len(attrs) if self.attrs_add_index is None else self.attrs_add_index
            if at > len(attrs):
                raise InvalidArgument('mdev %s: attrs_add_index %d is out of range (the device has %d attributes)'
                                      % (uuid, at, len(attrs)), field='attrs_add_index')
            attrs[at:at] = self.attrs_add
        return attrs


def counted(count, **fields):
    """``count`` requests for as many devices of one parent and type (uuids found or generated when planned)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise InvalidArgument('count must be a non-negative integer, not %r' % (count,), field='count')
    if fields.get('uuid') is not None:
        raise InvalidArgument('count and uuid exclude each other: count finds or makes its devices', field='count')
    if fields.get('state', 'started') == 'absent':
        raise InvalidArgument('count with state absent means nothing; give count: 0 with exclusive, or the uuids',
                              field='count')
    if fields.get('parent') is None or fields.get('mdev_type') is None:
        raise InvalidArgument('count needs parent and type', field='count')
    out = []
    for _i in range(count):
        req = MdevRequest(**fields)
        req.counted = True
        out.append(req)
    return out


def matrix_attrs(matrix):
    """vfio-ap attrs from ``{adapters, domains, control_domains}``: adapters, then domains, then control domains.

    Numbers are written in hex (``0x2a``); strings are kept as given.
    """
    if not isinstance(matrix, dict) or set(matrix) - set(k for k, _a in MATRIX_KEYS):
        raise InvalidArgument('matrix must be a mapping with adapters, domains and control_domains lists, got %r'
                              % (matrix,), field='matrix', value=repr(matrix)[:200])
    attrs = []
    for key, attr in MATRIX_KEYS:
        values = matrix.get(key) or []
        if not isinstance(values, list):
            raise InvalidArgument('matrix %s must be a list, got %r' % (key, values), field='matrix')
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise InvalidArgument('matrix %s: %r is not a number' % (key, value), field='matrix')
            attrs.append({attr: '%#x' % value if isinstance(value, int) else value})
    return attrs
