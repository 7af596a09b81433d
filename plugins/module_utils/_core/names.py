# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and canonical forms of the names users give.

Every name is checked here before a path is built from it, so that ``/``, ``..``, NUL or
a newline never reach the file system and a wrong device number is refused, not guessed.
"""

import re
import uuid as _uuid

from .errors import InvalidArgument

MAX_NAME = 255
# patterns as text, compiled (and cached by re) on first use: a module process pays only for those it matches
# with, not for ten compiles at import
_SAFE = r'^[A-Za-z0-9_][A-Za-z0-9_.:+@-]*$'
_BUS = r'^[a-z0-9][a-z0-9_-]{0,63}$'
_DRIVER = r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$'
_PCI = r'^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$'
_CSS = r'^(?:(?:0x)?([0-9a-f]{1,2})\.([0-3])\.)?(?:0x)?([0-9a-f]{1,4})$'
_AP_QUEUE = r'^([0-9a-f]{1,2})\.([0-9a-f]{1,4})$'
_NUMBER = r'^[0-9]+(?:\.[0-9]*)?$'
_AP_CARD = r'^card([0-9a-f]{1,2})$'
_PCI_ID_FIELD = r'^(?:0x)?([0-9a-f]{1,4}|ffffffff)$'  # vfio-pci reads each field with %x
_PCI_CLASS_FIELD = r'^(?:0x)?([0-9a-f]{1,6})$'
PCI_ID_FORM = 'vendor:device[:subvendor[:subdevice[:class:class_mask]]], in hex, such as 10de:1eb8'
_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z')


def _text(field, value):
    if not isinstance(value, str):
        raise InvalidArgument('%s must be a string, got %s' % (field, type(value).__name__), value=repr(value), field=field)
    if value != value.strip() or not value:
        raise InvalidArgument('%s %r is empty or has surrounding white space' % (field, value), value=value, field=field)
    if len(value) > MAX_NAME:
        raise InvalidArgument('%s is %d characters long; at most %d are allowed' % (field, len(value), MAX_NAME),
                              value=value[:64] + '...', field=field)
    return value


def _check(field, value, pattern, what):
    value = _text(field, value)
    if value in ('.', '..') or not re.match(pattern, value):
        raise InvalidArgument('%s %r is not a valid %s' % (field, value, what), value=value, field=field)
    return value


def bus_name(value, field='bus'):
    """A bus name such as ``pci``, ``css`` or ``ap``."""
    return _check(field, value, _BUS, 'bus name (lowercase letters, digits, - and _)')


def driver_name(value, field='driver'):
    """A driver name such as ``vfio-pci`` or ``vfio_ccw`` (``none`` included)."""
    return _check(field, value, _DRIVER, 'driver name (letters, digits, ., - and _)')


def attr_name(value, field='attribute'):
    """A sysfs attribute name of an mdev, such as ``assign_adapter`` or ``example-attribute``.

    mdevctl takes any string as an attribute name; every one that is a single path component is
    accepted. Refused is what could name something outside the device's directory, or the
    directory itself (``.``, ``..``, names with ``/``), and what no file in sysfs can be named, as
    for every other name: empty, surrounding white space, control characters (NUL, newline),
    more than 255 characters.
    """
    value = _text(field, value)
    if value in ('.', '..') or '/' in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidArgument('%s %r is not a sysfs attribute name: it must be one path component (not empty, . or '
                              '.., without /, NUL or newline)' % (field, value), value=value[:64], field=field)
    return value


def safe_name(value, field='name'):
    """Any sysfs directory name: no ``/``, no ``..``, no control characters."""
    return _check(field, value, _SAFE, 'name (letters, digits and _ . : + @ -; no /)')


def pci_address(value, field='device'):
    """``0000:00:02.0``; the short ``00:02.0`` gets domain 0000."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) or re.match(_NUMBER, str(value)):
        # YAML 1.1 reads an unquoted 0000:01:00.0 as the sexagesimal number 60.0, and 00:02.0 as 2.0
        raise InvalidArgument('%s %r is a number, not a PCI address: YAML reads an unquoted address such as '
                              '0000:01:00.0 as a number (60.0); quote the address ("0000:01:00.0")' % (field, value),
                              value=str(value), field=field)
    m = re.match(_PCI, _text(field, value).lower())
    if not m:
        raise InvalidArgument('%s %r is not a PCI address (DDDD:BB:DD.F or BB:DD.F)' % (field, value),
                              value=value, field=field)
    domain, bus, slot, func = m.groups()
    if int(slot, 16) > 0x1f:
        raise InvalidArgument('%s %r: PCI slot %s is above 1f' % (field, value, slot), value=value, field=field)
    return '%04x:%02x:%02x.%s' % (int(domain or '0', 16), int(bus, 16), int(slot, 16), func)


def ccw_busid(value, field='device'):
    """A css subchannel or ccw device id ``0.0.0313`` (cssid.ssid.number); a bare ``313`` is 0.0.0313."""
    m = re.match(_CSS, _text(field, value).lower())
    if not m:
        raise InvalidArgument('%s %r is not a subchannel or device bus id (such as 0.0.0313)' % (field, value),
                              value=value, field=field)
    return '%x.%s.%04x' % (int(m.group(1) or '0', 16), m.group(2) or '0', int(m.group(3), 16))


def queue_name(adapter, domain):
    """The AP queue device name of an APQN, such as ``05.0004`` (how APQNs are shown everywhere)."""
    return '%02x.%04x' % (adapter, domain)


def ap_device(value, field='device'):
    """An AP queue ``05.0004`` or card ``card05``."""
    text = _text(field, value).lower()
    m = re.match(_AP_QUEUE, text)
    if m:
        return queue_name(int(m.group(1), 16), int(m.group(2), 16))
    m = re.match(_AP_CARD, text)
    if m:
        return 'card%02x' % int(m.group(1), 16)
    raise InvalidArgument('%s %r is not an AP queue (such as 05.0004) or card (card05)' % (field, value),
                          value=value, field=field)


_DEVICE_FORMS = {'pci': pci_address, 'css': ccw_busid, 'ccw': ccw_busid, 'ap': ap_device}


def device_name(bus, value, field='device'):
    """The canonical name of a device of ``bus`` (pci, css, ccw and ap have fixed forms)."""
    return _DEVICE_FORMS.get(bus, safe_name)(value, field)


def bus_device(bus, value, field='device'):
    """``(bus, device)`` from a device name, which may carry its bus as driverctl prints it: ``pci/0000:01:00.0``.

    The bus in the name wins over ``bus``, as with driverctl. A value whose part before ``/`` is
    no bus name is checked as a whole, as a device of ``bus`` (and refused, since no device
    name has a ``/``).
    """
    if isinstance(value, str) and '/' in value:
        prefix, _sep, rest = value.partition('/')
        try:
            prefix = bus_name(prefix, field)
        except InvalidArgument:
            return bus, device_name(bus, value, field)
        return prefix, device_name(prefix, rest, field)
    return bus, device_name(bus, value, field)


def uuid(value, field='uuid'):
    """A UUID in its lowercase hyphenated form."""
    text = _text(field, value)
    if _UUID.match(text):  # already canonical, as every file mdevctl writes is: no parse needed
        return text
    try:
        parsed = _uuid.UUID(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 36:
        raise InvalidArgument('%s %r is not a UUID such as 7e270a25-e163-4922-af60-757fc8ed48c6' % (field, value),
                              value=value, field=field)
    return str(parsed)


def printable(text):
    """A file name or path as printable text: bytes that are not UTF-8 shown as ``\\xNN``.

    ``os.listdir`` hands such bytes over as lone surrogates, which no JSON result can carry.
    """
    return text.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def pci_id_fields(text, field='ids'):
    """The hex fields of a vfio-pci id (``vendor:device[:subvendor[:subdevice[:class:class_mask]]]``), lowercase and
    without ``0x``; InvalidArgument naming the value and what is wrong with it.

    As vfio-pci reads its ``ids=`` (each field with ``%x``), but stricter where the kernel would
    quietly read something else: at most 4 digits for the ids (or ``ffffffff``, any), 6 for the
    class, and no class without its mask (the kernel ignores a class whose mask is 0).
    """
    if not isinstance(text, str):
        raise InvalidArgument('%s: %r is not a PCI id (%s)' % (field, text, PCI_ID_FORM), value=repr(text), field=field)
    parts = text.lower().split(':')
    if not 2 <= len(parts) <= 6:
        hint = ('; YAML 1.1 reads an unquoted id of digits only, such as 1234:56, as a number: quote it ("1234:56")'
                if text.isdigit() else '')
        raise InvalidArgument('%s: %r is not a PCI id (%s)%s' % (field, text, PCI_ID_FORM, hint), value=text, field=field)
    fields = []
    for i, part in enumerate(parts):
        m = re.match(_PCI_ID_FIELD if i < 4 else _PCI_CLASS_FIELD, part)
        if not m:
            raise InvalidArgument('%s: %r is not a PCI id: %r is not a hex number of up to %s digits (%s)' % (
                field, text, part, '4 (or ffffffff, any)' if i < 4 else '6', PCI_ID_FORM), value=text, field=field)
        fields.append(m.group(1))
    if len(fields) == 5:
        raise InvalidArgument('%s: %r gives a class without a class_mask; the kernel would ignore the class (a mask '
                              'of 0), so add the mask, such as %s:ffff00' % (field, text, text), value=text,
                              field=field)
    return fields
