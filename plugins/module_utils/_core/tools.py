# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the library finds and runs programs and puts a written file in place.

``Tools`` does it with the standard library (tests, benchmarks, the boot-time programs).
``ModuleTools`` does it with what an AnsibleModule offers, duck-typed so that nothing here
imports Ansible: ``get_bin_path`` (the search path Ansible users expect, sbin included),
``run_command`` (its environment handling and logging) and ``atomic_move`` (SELinux context and
attributes of the file it replaces, ``unsafe_writes`` on bind-mounted files). A module hands them
to the library on its Host (``Host(root, tools)``, see ``runner.host_of``).
"""

import errno
import os
import shutil
import subprocess
import threading

SBIN = ('/usr/local/sbin', '/usr/sbin', '/sbin')  # where modprobe, udevadm and driverctl live


class Timeout(Exception):
    """A program ran longer than it was given."""


class Tools(object):
    """The standard library's way."""

    def which(self, name):
        """The path of program ``name`` (sbin directories included), or None."""
        return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))

    def run(self, argv, stdin=None, timeout=None):
        """``(rc, stdout, stderr)`` of ``argv`` (rc < 0: killed by that signal); Timeout after ``timeout`` s."""
        try:
            proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  encoding='utf-8', errors='replace', timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise Timeout('did not finish in %s s' % timeout)
        return proc.returncode, proc.stdout, proc.stderr

    def replace(self, tmp, path):
        """Put the written temporary file ``tmp`` in place of ``path`` (same directory)."""
        os.rename(tmp, path)


class ModuleTools(Tools):
    """An AnsibleModule's ``get_bin_path``, ``run_command`` and ``atomic_move``."""

    def __init__(self, module):
        self.module = module

    def which(self, name):
        """``module.get_bin_path`` with the sbin directories."""
        return self.module.get_bin_path(name, opt_dirs=list(SBIN))

    def run(self, argv, stdin=None, timeout=None):
        """``module.run_command``, the program killed after ``timeout`` s (run_command has no time limit).

        The program stays the module's own child: s390-tools' callouts check that the AP lock is
        held by their parent process, so no wrapper may stand between them.
        """
        expired = []

        def kill(proc):
            if proc.poll() is None:
                expired.append(True)
                proc.kill()

        def arm(proc):
            if proc.stdin is not None:
                proc.stdin = _Unread(proc.stdin)
            if timeout:
                timer = threading.Timer(timeout, kill, [proc])
                timer.daemon = True
                timer.start()
                timers.append(timer)

        timers = []
        try:
            # handle_exceptions=False: a program that cannot start raises OSError here instead of ending the module
            rc, out, err = self.module.run_command(list(argv), data=stdin, binary_data=True, check_rc=False,
                                                   errors='replace', handle_exceptions=False,
                                                   expand_user_and_vars=False,
                                                   before_communicate_callback=arm)
        except OSError:
            if expired:
                raise Timeout('did not finish in %s s' % timeout)
            raise
        finally:
            for timer in timers:
                timer.cancel()
        if expired:
            raise Timeout('did not finish in %s s' % timeout)
        return rc, out, err

    def replace(self, tmp, path):
        """``module.atomic_move``: keeps the SELinux context and attributes of the file it replaces.

        atomic_move ends the module (``fail_json``, up to ansible-core 2.18) or raises a bare
        Exception (2.19 on) when it fails; the plan must undo what it did first, so either comes
        back here as an OSError.
        """
        failed = []

        def fail(**result):
            failed.append(result.get('msg', 'atomic_move failed'))
            raise _Failed()

        saved = self.module.fail_json
        self.module.fail_json = fail
        try:
            self.module.atomic_move(tmp, path, unsafe_writes=bool(self.module.params.get('unsafe_writes')))
        except _Failed:
            raise OSError(errno.EIO, failed[0])
        except OSError:
            raise
        except Exception as exc:  # ansible-core 2.19 and later raise instead of calling fail_json
            raise OSError(getattr(exc.__cause__, 'errno', None) or errno.EIO, str(exc))
        finally:
            self.module.fail_json = saved


class _Failed(Exception):
    """atomic_move called fail_json."""


class _Unread(object):
    """A child's stdin on which a program that exits without reading its input is no error.

    run_command writes the input after starting the program; a callout that does not read it
    may be gone by then (EPIPE), which subprocess.communicate ignores too.
    """

    def __init__(self, pipe):
        self.pipe = pipe

    def write(self, data):
        """Write, unless the reader is gone."""
        try:
            return self.pipe.write(data)
        except BrokenPipeError:
            return 0

    def close(self):
        """Close, unless the reader is gone (flushing would fail)."""
        try:
            self.pipe.close()
        except BrokenPipeError:
            pass

    def __getattr__(self, name):
        return getattr(self.pipe, name)
