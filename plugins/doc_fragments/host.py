# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options every module takes about the managed host, and what the host needs."""


class ModuleDocFragment(object):
    """``root`` and the requirements (every module); CHANGING adds ``lock_timeout``."""

    DOCUMENTATION = r'''
options:
  root:
    description:
      - The directory below which every path the module reads or writes is taken (C(/sys), C(/etc), C(/proc),
        C(/run), C(/usr)), such as a chroot or the collection's simulated host.
      - When not given, the environment variable C(VFIO_PASSTHROUGH_ROOT) of the module's process, and then C(/).
      - Kernel modules are loaded and uevents awaited only when the root is C(/).
    type: path
requirements:
  - Python 3.6 or later on the managed host (ansible-core 2.16), 3.8 or later (2.17 to 2.19), 3.9 or later (2.20 and
    newer). On RHEL 8 or SLES 15, whose platform Python is older, set C(ansible_python_interpreter) to their
    python3.9, python3.11 or python3.12.
  - root on the managed host (C(become=true)).
'''

    CHANGING = r'''
options:
  lock_timeout:
    description:
      - Seconds to wait for the host lock (C(/run/lock/vfio-passthrough.lock), and s390-tools' C(s390apconfig.lock)
        where AP devices are changed) while another run holds it; a warning says that the task waits.
    type: int
    default: 300
'''
