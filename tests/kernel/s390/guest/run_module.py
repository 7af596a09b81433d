"""run_module.py MODULE ARGS_JSON [check]: run one of the collection's modules as Ansible runs it.

As AnsiballZ does: the parameters go into ansible.module_utils.basic._ANSIBLE_ARGS as the JSON
bytes {"ANSIBLE_MODULE_ARGS": {...}} (serialization profile "legacy"), the module's main() runs,
its SystemExit is caught and the JSON line it printed on stdout is captured. Prints one JSON
object: {"rc": exit code, "result": the module's result or null, "stdout": what else it printed,
"exception": a traceback when main() raised something other than SystemExit}.
"""
import contextlib
import importlib
import io
import json
import sys
import traceback


def main():
    name, args = sys.argv[1], json.loads(sys.argv[2])
    if len(sys.argv) > 3 and sys.argv[3] == 'check':
        args['_ansible_check_mode'] = True
    from ansible.module_utils import basic
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()
    basic._ANSIBLE_PROFILE = 'legacy'
    out = io.StringIO()
    rc, exc = None, None
    with contextlib.redirect_stdout(out):
        try:
            module = importlib.import_module('ansible_collections.vfio.passthrough.plugins.modules.' + name)
            module.main()
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            exc = traceback.format_exc()
    result, rest = None, []
    for line in out.getvalue().splitlines():
        if line.startswith('{') and result is None:
            try:
                result = json.loads(line)
                continue
            except ValueError:
                pass
        if line.strip():
            rest.append(line)
    print(json.dumps({'rc': rc, 'result': result, 'stdout': '\n'.join(rest), 'exception': exc}))


if __name__ == '__main__':
    main()
