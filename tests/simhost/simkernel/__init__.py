"""The simulated kernel: an in-memory sysfs tree and the reactions to writes.

Pure Python, no FUSE: ``fusefs.py`` only translates file operations into calls on ``Kernel``.
``core`` holds buses, drivers, devices and binding; ``css``, ``ap``, ``mdev`` and ``pci`` each
register their own attribute handlers, readers, bind effects, bus hooks and build steps with it.
Every writable attribute names a handler; a handler changes the model and the tree or raises
``OSError`` with the errno the kernel returns. Scenario files (``scenarios/*.yaml``) hold the
devices, drivers and mdev types; this package holds only behaviour.
"""

# Importing a subsystem registers it. Within a build phase the steps run in this import order:
# css makes /proc before mdev makes /sys, and the AP devices come before the running mdevs.
from . import css, ap, mdev, pci  # noqa: F401  (importing registers them)
from .ap import AP_MASK_BITS, AP_MAX_ID
from .core import (BUS_MATCH, EFFECTS, HANDLERS, OVERRIDE_CHECKS, PAGE_SIZE, READERS, STEPS, Bus, Device, Driver,
                   Kernel, as_int, fail, load)
from .css import busid_key, parse_cio_item
from .mdev import UUID_LEN, Mdev, MdevParent, MdevType
from .tree import Attr, Dir, Link, Node, Tree, split

__all__ = ['AP_MASK_BITS', 'AP_MAX_ID', 'BUS_MATCH', 'EFFECTS', 'HANDLERS', 'OVERRIDE_CHECKS', 'PAGE_SIZE', 'READERS',
           'STEPS', 'UUID_LEN', 'Attr', 'Bus', 'Device', 'Dir', 'Driver', 'Kernel', 'Link', 'Mdev', 'MdevParent',
           'MdevType', 'Node', 'Tree', 'as_int', 'busid_key', 'fail', 'load', 'parse_cio_item', 'split']
