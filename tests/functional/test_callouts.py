"""mdevctl's callout protocol: pass, fail, not-my-type, force, notifiers and live."""

import json
import os

AP = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
DEFINE = dict(uuid=AP, parent='matrix', type='vfio_ap-passthrough', state='defined',
              attrs=[{'assign_adapter': '5'}, {'assign_domain': '4'}])

SCRIPT = '''#!/bin/sh
# test callout: logs its arguments and stdin, answers as told by its name
log={log}
echo "$0 $* :: $(cat)" >> $log
case "$(basename $0)" in
  *other-type) exit 2 ;;
  *refuse) [ "$4" = pre ] && {{ echo "domain 4 is reserved for the test" >&2; exit 1; }} ;;
esac
exit 0
'''


def install(sim, kind, name):
    d = sim.path('etc/mdevctl.d/scripts.d', kind)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    with open(path, 'w') as f:
        f.write(SCRIPT.format(log=sim.path('.simhost/callouts.log')))
    os.chmod(path, 0o755)
    return path


def calls(sim):
    try:
        with open(sim.path('.simhost/callouts.log')) as f:
            return [line.rstrip('\n') for line in f]
    except OSError:
        return []


def test_pass_runs_pre_post_and_notifiers_with_mdevctl_arguments(seed, module):
    install(seed, 'callouts', '10-other-type')
    install(seed, 'callouts', '20-pass')
    install(seed, 'notifiers', 'notify')
    result = module('mdev', **DEFINE)
    assert result['changed']
    # as mdevctl 1.3, each script is first asked for its capabilities (neither has any: version 1 scripts)
    asked = [c for c in result['callouts'] if (c['event'], c['action']) == ('get', 'capabilities')]
    assert [c['script'].rsplit('/', 1)[-1] for c in asked] == ['10-other-type', '20-pass']
    lines = [line for line in calls(seed) if ' -a capabilities ' not in line]
    args = '-t vfio_ap-passthrough -e %s -a define -s %s -u ' + AP + ' -p matrix'
    assert lines[0].startswith(seed.path('etc/mdevctl.d/scripts.d/callouts/10-other-type') + ' ' + args % ('pre', 'none'))
    assert lines[1].startswith(seed.path('etc/mdevctl.d/scripts.d/callouts/20-pass') + ' ' + args % ('pre', 'none'))
    stdin = json.loads(lines[1].split(' :: ', 1)[1])
    assert stdin == {'mdev_type': 'vfio_ap-passthrough', 'start': 'manual',
                     'attrs': [{'assign_adapter': '5'}, {'assign_domain': '4'}]}
    assert ' -e post -a define -s success ' in lines[2] and '20-pass' in lines[2]
    assert ' -e notify -a define -s success ' in lines[3] and lines[3].startswith(seed.path('etc/mdevctl.d/scripts.d/notifiers/notify'))
    assert [c['event'] for c in result['callouts'] if c not in asked] == ['pre', 'pre', 'post', 'notify']


def test_failing_pre_stops_the_change_and_reaches_the_user(seed, module):
    install(seed, 'callouts', 'refuse')
    result = module('mdev', **DEFINE)
    assert result['failed']
    assert 'refused define of mdev %s' % AP in result['msg'] and 'domain 4 is reserved for the test' in result['msg']
    assert not os.path.exists(seed.path('etc/mdevctl.d/matrix'))
    assert seed.writes() == []


def test_force_overrides_a_failing_pre(seed, module):
    install(seed, 'callouts', 'refuse')
    result = module('mdev', force=True, **DEFINE)
    assert result['changed'] and not result.get('failed')
    assert any('forced define' in w for w in result.get('warnings', []))
    assert os.path.exists(seed.path('etc/mdevctl.d/matrix', AP))


def test_no_callouts_in_check_mode(seed, playbook):
    install(seed, 'callouts', '20-pass')
    run = playbook([{'vfio.passthrough.mdev': DEFINE}], check=True)
    assert run.rc == 0 and run.changed == 1
    assert calls(seed) == [] and not os.path.exists(seed.path('etc/mdevctl.d/matrix'))


LIVE_SCRIPT = '''#!/bin/sh
# version 2 callout that carries out live modifies itself
echo "$*" >> {log}
case "$4" in
  get) [ "$6" = capabilities ] && echo '{{"supports": {{"version": 2, "actions": ["modify", "capabilities"], \
"events": ["pre", "post", "notify", "get", "live"]}}}}' ;;
esac
exit 0
'''


def test_version_2_script_carries_out_live_modify(seed, module):
    module('mdev', **DEFINE)
    module('mdev', uuid=AP, state='started')
    d = seed.path('etc/mdevctl.d/scripts.d/callouts')
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'v2'), 'w') as f:
        f.write(LIVE_SCRIPT.format(log=seed.path('.simhost/callouts.log')))
    os.chmod(os.path.join(d, 'v2'), 0o755)
    seed.clear_log()
    result = module('mdev', uuid=AP, live=True, state='defined', attrs=[{'assign_adapter': '5'}, {'assign_domain': '0x42'}])
    assert result['changed']
    events = [(c['event'], c['action']) for c in result['callouts']]
    assert ('get', 'capabilities') in events and ('live', 'modify') in events
    assert not any('assign_' in w['path'] for w in seed.writes())  # the script did it, not the module
