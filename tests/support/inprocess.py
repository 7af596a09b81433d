"""Run a module's main() in-process with ansible-core's own patch_module_args; return its result."""

import contextlib
import importlib
import io
import json

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19 (the oldest of the support matrix is 2.16)
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """What 2.19's does, with the ``_ANSIBLE_ARGS`` that older AnsibleModules read."""
        with mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode()):
            yield

PREFIX = 'ansible_collections.vfio.passthrough.plugins.modules.'


def run_module(name, args):
    """The result dict the module printed; an exception other than SystemExit propagates (a traceback)."""
    module = importlib.import_module(PREFIX + name)
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    return json.loads(out.getvalue())
