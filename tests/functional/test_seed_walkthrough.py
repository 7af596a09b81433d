"""The seed document's walkthrough, end to end as one playbook, each state it prints asserted."""

import json

CCW1 = '7e270a25-e163-4922-af60-757fc8ed48c6'
CCW2 = 'b29e4ca9-5cdb-4ee1-a01b-79085b9ab237'
AP = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
ROOT = "{{ lookup('env', 'VFIO_PASSTHROUGH_ROOT') }}"


def mdev(**args):
    return {'vfio.passthrough.mdev': args}


def info(**args):
    return {'vfio.passthrough.mdev_info': args}


TASKS = [
    # 0: driverctl -b css set-override 0.0.0313 vfio_ccw (and 0.0.0314, used below)
    {'vfio.passthrough.driver_override': {'bus': 'css', 'driver': 'vfio_ccw',
                                          'devices': [{'device': '0.0.0313'}, {'device': '0.0.0314'}]}},
    # 1: mdevctl define -u 7e27... -p 0.0.0313 -t vfio_ccw-io -a
    mdev(uuid=CCW1, parent='0.0.0313', type='vfio_ccw-io', autostart='auto', state='defined'),
    # 2: mdevctl list -d
    info(),
    # 3: mdevctl start -u 7e27...
    mdev(uuid=CCW1, state='started'),
    # 4: mdevctl list -d
    info(),
    # 5: echo b29e... > .../0.0.0314/mdev_supported_types/vfio_ccw-io/create
    {'ansible.builtin.shell': 'echo %s > %s/sys/bus/css/drivers/vfio_ccw/0.0.0314/mdev_supported_types/'
                              'vfio_ccw-io/create' % (CCW2, ROOT)},
    # 6: mdevctl list
    info(),
    # 7: mdevctl define -u b29e...
    mdev(uuid=CCW2, state='defined'),
    # 8: mdevctl list
    info(),
    # 9: mdevctl define -u 669d... --parent matrix --type vfio_ap-passthrough
    mdev(uuid=AP, parent='matrix', type='vfio_ap-passthrough', state='defined'),
    # 10-12: mdevctl modify --addattr ... --value ...
    mdev(uuid=AP, state='defined', attrs_add=[{'assign_adapter': '5'}]),
    mdev(uuid=AP, state='defined', attrs_add=[{'assign_domain': '4'}]),
    mdev(uuid=AP, state='defined', attrs_add=[{'assign_domain': '0xab'}]),
    # 13: mdevctl list -d -u 669d... --dumpjson
    info(uuid=AP),
    # 14-15: --delattr --index=1, then --addattr=assign_domain --value=0x42
    mdev(uuid=AP, state='defined', attrs_delete_index=1),
    mdev(uuid=AP, state='defined', attrs_add=[{'assign_domain': '0x42'}]),
    # 16: the same end state, declared: nothing left to change
    mdev(uuid=AP, parent='matrix', type='vfio_ap-passthrough', state='defined',
         attrs=[{'assign_adapter': '5'}, {'assign_domain': '0xab'}, {'assign_domain': '0x42'}]),
    # 17: mdevctl list -dv -u 669d...
    info(uuid=AP),
]


def listing(result):
    return [(d['uuid'], d['parent'], d['mdev_type'], d['start'], d['defined'], d['active'])
            for d in result['devices']]


def test_seed_walkthrough(seed, playbook):
    run = playbook(TASKS)
    assert run.rc == 0, run.stdout
    assert not any(r.get('failed') for r in run.results), [r.get('msg') for r in run.results if r.get('failed')]
    assert run[0]['devices'][0]['driver'] == 'vfio_ccw'
    # mdevctl list -d: 7e27... 0.0.0313 vfio_ccw-io auto
    assert listing(run[2]) == [(CCW1, '0.0.0313', 'vfio_ccw-io', 'auto', True, False)]
    # after start: ... auto (active)
    assert listing(run[4]) == [(CCW1, '0.0.0313', 'vfio_ccw-io', 'auto', True, True)]
    # mdevctl list: b29e... 0.0.0314 (not defined); 7e27... (defined)
    assert listing(run[6]) == [(CCW1, '0.0.0313', 'vfio_ccw-io', 'auto', True, True),
                               (CCW2, '0.0.0314', 'vfio_ccw-io', None, False, True)]
    assert listing(run[8])[1] == (CCW2, '0.0.0314', 'vfio_ccw-io', 'manual', True, True)
    with open(seed.path('etc/mdevctl.d/0.0.0314', CCW2)) as f:
        assert f.read() == '{\n  "mdev_type": "vfio_ccw-io",\n  "start": "manual",\n  "attrs": []\n}'
    assert listing(run[13]) == [(AP, 'matrix', 'vfio_ap-passthrough', 'manual', True, False)]
    assert run[13]['devices'][0]['attrs'] == [{'assign_adapter': '5'}, {'assign_domain': '4'},
                                              {'assign_domain': '0xab'}]
    assert run[16]['changed'] is False
    assert run[17]['devices'][0]['attrs'] == [{'assign_adapter': '5'}, {'assign_domain': '0xab'},
                                              {'assign_domain': '0x42'}]
    with open(seed.path('etc/mdevctl.d/matrix', AP)) as f:
        assert json.load(f)['attrs'] == [{'assign_adapter': '5'}, {'assign_domain': '0xab'}, {'assign_domain': '0x42'}]
    again = playbook([t for i, t in enumerate(TASKS) if i in (0, 1, 3, 7, 9, 16)])
    assert again.changed == 0, again.stdout
