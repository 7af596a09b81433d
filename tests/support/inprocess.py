"""Run a module's main() in-process with ansible-core's own patch_module_args; return its result."""

import contextlib
import importlib
import io
import json

from ansible.module_utils.testing import patch_module_args

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
