# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a running mdev runs with: its attributes as a callout script reads them, or as the kernel
shows a vfio_ap matrix. Shared by the listing and the planner."""

from .._ap.matrix import KINDS, is_ap, read_matrix
from .._core.errors import ConfigError, InvalidArgument
from .config import Definition, normalize_attrs


def matrix_attrs_of(matrix):
    """A running vfio_ap matrix as attrs: adapters, then usage domains, then control domains."""
    return [('assign_' + kind, '%#x' % i) for kind in KINDS for i in sorted(matrix[kind])]


def callout_attrs(callouts, uuid, parent, mdev_type):
    """The attrs a callout script reads from the running device (``get attributes``), or None when none answers.

    Raises CalloutError when the script fails and ConfigError when its answer is not what mdevctl
    accepts (a list of one-key mappings with string values).
    """
    if callouts is None or not callouts.present:
        return None
    attrs = callouts.get_attributes(Definition(uuid, parent, mdev_type))
    if attrs is None:
        return None
    try:
        return normalize_attrs(attrs, 'attributes from the callout script', strict=True)
    except InvalidArgument as exc:
        raise ConfigError(exc.msg)


def running_attrs(host, callouts, uuid, parent, mdev_type, dirs=None):
    """``(attrs, source)`` of a running device: from a callout script (``callout``) where one answers,
    else for vfio_ap from the matrix the kernel shows (``matrix``), else ``(None, None)``."""
    attrs = callout_attrs(callouts, uuid, parent, mdev_type)
    if attrs is not None:
        return attrs, 'callout'
    matrix = read_matrix(host, uuid, dirs) if is_ap(mdev_type) else None
    if matrix is not None:
        return matrix_attrs_of(matrix), 'matrix'
    return None, None
