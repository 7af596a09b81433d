#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mdev
short_description: Define, start, stop, modify and undefine mediated devices (mdevctl parity)
version_added: 0.1.0
description:
  - Declarative management of mediated devices (mdevs) such as vfio_ccw-io, vfio_ap-passthrough or vGPU
    types. State what should be; the module does the least that gets there.
  - Persistent definitions are the very JSON files mdevctl keeps at C(/etc/mdevctl.d/<parent>/<uuid>), written
    byte for byte as mdevctl writes them and atomically, so mdevctl and this module read each other's work and
    mdevctl's boot-time autostart keeps working. Keys mdevctl does not know are kept.
  - Starting writes the uuid to the type's C(create), then each attribute in list order to the new device; if a
    write fails the device is removed again and the error names the attribute, value and errno.
  - Every change runs mdevctl's callout scripts (C(/usr/lib/mdevctl/scripts.d/callouts) and
    C(/etc/mdevctl.d/scripts.d/callouts); C(pre), C(post), C(notify), C(get), C(live)), so s390-tools'
    C(ap-check) checks these changes as it checks mdevctl's. A failing C(pre) callout stops the change. In check
    mode only the read-only C(get) event runs (to read the attributes of a running device being defined).
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  uuid:
    description:
      - The device's UUID. Without it, a definition (or an undefined running device) with the same I(parent), I(type)
        and I(attrs) is looked for; if there is none, a new UUID is generated and returned, so running the same task
        again changes nothing. Several entries of I(devices) without a UUID share out the matching devices, so a
        list of them finds the same devices again (more matching devices than entries is refused; see I(count)).
    type: str
  parent:
    description:
      - The parent device, for example C(0.0.0313) (a subchannel bound to vfio_ccw), C(matrix) (vfio_ap) or a PCI
        address. Read from the definition or the running device when not given.
      - As with mdevctl, one UUID may be defined under several parents; a definition is known by its parent and
        UUID together. Without I(parent), a UUID known under more than one parent is refused as ambiguous (naming
        the parents), except with C(state=absent), which removes every definition of the UUID (as C(mdevctl
        undefine -u)), and C(state=stopped) without changes to the definition, which stops the one running device.
        With I(parent), only that parent's definition is read or changed; the others are left alone.
    type: str
  type:
    description:
      - The mdev type, for example C(vfio_ccw-io) or C(vfio_ap-passthrough). Read from the definition or the
        running device when not given.
    type: str
    aliases: [mdev_type]
  attrs:
    description:
      - "The ordered list of attributes written to the device when it starts, exactly mdevctl's C(attrs), for
        example C([{assign_adapter: '5'}, {assign_domain: '4'}]). Each entry is a mapping with one key."
      - Values are stored as strings; quote hex values (C('0xab')), or YAML turns them into decimal numbers.
      - When not given, the definition's attributes are kept.
    type: list
    elements: dict
  matrix:
    description:
      - For vfio-ap matrix devices, instead of I(attrs) - C(adapters), C(domains) and C(control_domains) lists,
        turned into C(assign_adapter), C(assign_domain) and C(assign_control_domain) attributes in that order.
        Numbers are written in hex; strings are kept as given.
    type: dict
  autostart:
    description:
      - C(auto) starts the device at boot (mdevctl's C(-a)), C(manual) does not. Kept from the definition when not
        given; new definitions are C(manual).
      - An C(auto) vfio-ap device is refused unless the masks the host boots with reserve its APQNs for vfio_ap
        (M(vfio.passthrough.ap_masks) with I(persistent=true)), since s390-tools' ap-check would refuse it at boot.
      - Where mdevctl is not installed, nothing would start C(auto) devices at boot, so the module installs the
        collection's own start (C(/etc/udev/rules.d/90-vfio-passthrough-mdevs.rules) and
        C(/usr/libexec/vfio-passthrough/start-mdevs)) when it writes an C(auto) definition; RV(boot_start) says which
        applies.
    type: str
    choices: [auto, manual]
  state:
    description:
      - C(defined) - a persistent definition exists; the running device is left as it is (unless I(live)).
      - C(started) - the device runs; with I(persistent=true) it is also defined.
      - C(stopped) - the device does not run; its definition is kept (and written when I(type) is given).
      - C(absent) - the device is stopped and undefined.
    type: str
    choices: [defined, started, stopped, absent]
    default: started
  persistent:
    description:
      - With C(started) and C(stopped), also write the definition.
    type: bool
    default: true
  live:
    description:
      - Apply attribute changes to the running device as well (vfio-ap C(assign_*)/C(unassign_*)). A callout script
        that declares the C(live) event (version 2 capabilities) carries the change out instead, as with mdevctl.
    type: bool
    default: false
  force:
    description:
      - Go ahead when a C(pre) callout refuses, as mdevctl's C(--force). The refusal is reported as a warning.
    type: bool
    default: false
  attrs_delete_index:
    description:
      - Remove the attribute at this index (0 based) of the definition, as C(mdevctl modify --delattr --index).
        Applied before I(attrs_add). Not idempotent, for ad-hoc use; playbooks should state I(attrs) instead.
    type: int
  attrs_add:
    description:
      - Attributes to add, as C(mdevctl modify --addattr --value). Appended, or inserted at I(attrs_add_index).
        Not idempotent, for ad-hoc use.
    type: list
    elements: dict
  attrs_add_index:
    description:
      - Where I(attrs_add) goes (0 based), as C(mdevctl modify --addattr --index).
    type: int
  count:
    description:
      - Exactly this many devices of I(parent) and I(type) (with I(attrs), when given), without naming their
        UUIDs. Existing definitions of that parent and type are used first, oldest definition file first (by its
        modification time), then devices that run there undefined; the rest get random new UUIDs, which later
        runs find again, so the task is idempotent.
      - Surplus devices are left alone, unless I(exclusive) is true, which removes them (the newest definitions
        first) along with every other device of the parent. C(count=0) with I(exclusive) needs I(allow_empty).
      - Excludes I(uuid) and I(devices) (entries of I(devices) take their own I(count)).
    type: int
  devices:
    description:
      - Several devices in one task. Each entry takes I(uuid), I(parent), I(type), I(attrs), I(autostart), I(state),
        I(persistent), I(live) and I(force); what an entry leaves out is taken from the task.
    type: list
    elements: dict
    suboptions:
      uuid:
        description: The UUID.
        type: str
      parent:
        description: The parent; defaults to the task's I(parent).
        type: str
      type:
        description: The mdev type; defaults to the task's I(type).
        type: str
        aliases: [mdev_type]
      attrs:
        description: The attributes.
        type: list
        elements: dict
      matrix:
        description: For vfio-ap, adapters, domains and control_domains instead of I(attrs).
        type: dict
      autostart:
        description: C(auto) or C(manual); defaults to the task's I(autostart).
        type: str
        choices: [auto, manual]
      state:
        description: The state; defaults to the task's I(state).
        type: str
        choices: [defined, started, stopped, absent]
      persistent:
        description: Defaults to the task's I(persistent).
        type: bool
      live:
        description: Defaults to the task's I(live).
        type: bool
      force:
        description: Defaults to the task's I(force).
        type: bool
      count:
        description: This entry stands for this many devices of its parent and type, as the task's I(count).
        type: int
  exclusive:
    description:
      - With I(devices), stop and undefine every other mdev of the parents the list names (and of the task's
        I(parent)).
      - An empty I(devices) list with I(exclusive) is refused, because it would remove every device of the parent;
        say I(allow_empty=true) when that is meant. The task-level options never stand in for an empty list.
    type: bool
    default: false
  allow_empty:
    description:
      - Accept an empty I(devices) list with I(exclusive=true), removing every mdev of the task's I(parent).
    type: bool
    default: false
  validate:
    description:
      - Before any change (also in check mode), check the whole system as it would be after the change, and refuse
        a change that conflicts with it, naming both parties. Checked are an APQN assigned to two vfio-ap devices that
        can run at the same time (active or autostart), an APQN reserved for the host by C(/sys/bus/ap/apmask) and
        C(aqmask), adapters or domains above the host's maximum, control domains without a usage domain, and more
        devices of a type than the parent holds (a second vfio-ccw device on one subchannel).
      - Only conflicts that involve a device this task changes are refused.
        M(vfio.passthrough.mdev_validate) reports those of the whole host.
    type: bool
    default: true
extends_documentation_fragment:
  - vfio.passthrough.attributes
  - vfio.passthrough.host
  - vfio.passthrough.host.changing
seealso:
  - module: vfio.passthrough.mdev_info
  - module: vfio.passthrough.mdev_validate
  - module: vfio.passthrough.driver_override
notes:
  - "mdevctl command -> this module, and where the result differs:"
  - "C(mdevctl define -u U -p P -t T [-a]) -> C(uuid=U parent=P type=T state=defined [autostart=auto]). Differs:
    an existing definition is rewritten to match instead of refused (C(already defined))."
  - "C(mdevctl define -u U) (a running device) -> C(uuid=U state=defined). Same: attributes from the C(get
    attributes) callout, or for vfio-ap the matrix the kernel shows."
  - "C(mdevctl define -p P -t T) (new UUID) -> C(parent=P type=T state=defined). Differs: a matching definition
    is found again instead of a second one made; C(count) asks for several."
  - "C(mdevctl undefine -u U [-p P]) -> C(uuid=U [parent=P] state=absent). Differs: a missing definition is no
    error; the running device under that parent is stopped too."
  - "C(mdevctl start -u U [-p P -t T]) -> C(uuid=U state=started [parent=P type=T persistent=false]). Differs: a
    running device is no error; with I(persistent=true) (the default) the device is also defined."
  - "C(mdevctl stop -u U) -> C(uuid=U state=stopped). Same: the C(get attributes) callout is never run."
  - "C(mdevctl modify -u U --addattr=A --value=V [--index=N]) -> C(uuid=U state=defined attrs_add=[{A: V}]
    [attrs_add_index=N]); C(--delattr --index=N) -> C(attrs_delete_index=N). Differs: playbooks should state
    I(attrs) instead, which is idempotent."
  - "C(mdevctl modify -u U --live --jsonfile F) -> C(uuid=U attrs=... live=true). Differs: without a callout
    script that declares live changes the module writes the vfio-ap C(assign_*)/C(unassign_*) attributes itself
    (mdevctl refuses)."
  - "C(mdevctl ... --force) -> C(force=true). Same."
  - "C(mdevctl list [-d] [--dumpjson]) -> M(vfio.passthrough.mdev_info) (C(list), C(list_defined), C(devices))."
  - "Callouts -> chosen as mdevctl 1.3 chooses them (C(get capabilities) first; a versioned script handles its
    type alone and refuses what it does not declare). Differs: a script that runs longer than 120 seconds is an
    error (mdevctl waits for it)."
  - "Attribute names -> what mdevctl accepts (C(example-attribute)). Differs: names that could leave the device's
    directory (C(.), C(..), with C(/)) or that no sysfs file can have (empty, surrounding blanks, control
    characters such as NUL or a newline, over 255 characters) are refused."
'''

EXAMPLES = r'''
- name: mdevctl define -u 7e270a25-e163-4922-af60-757fc8ed48c6 -p 0.0.0313 -t vfio_ccw-io -a
  vfio.passthrough.mdev:
    uuid: 7e270a25-e163-4922-af60-757fc8ed48c6
    parent: 0.0.0313
    type: vfio_ccw-io
    autostart: auto
    state: defined

- name: mdevctl start -u 7e270a25-e163-4922-af60-757fc8ed48c6
  vfio.passthrough.mdev:
    uuid: 7e270a25-e163-4922-af60-757fc8ed48c6
    state: started

- name: Make a device created by hand persistent (mdevctl define -u)
  vfio.passthrough.mdev:
    uuid: b29e4ca9-5cdb-4ee1-a01b-79085b9ab237
    state: defined

- name: A vfio-ap matrix device with adapter 5 and domains 0xab and 0x42, running, changed live if it runs
  vfio.passthrough.mdev:
    uuid: 669d9b23-fe1b-4ecb-be08-a2fabca99b71
    parent: matrix
    type: vfio_ap-passthrough
    attrs:
      - assign_adapter: '5'
      - assign_domain: '0xab'
      - assign_domain: '0x42'
    live: true

- name: Ad hoc, as the seed does it - drop attribute 1, then add domain 0x42
  vfio.passthrough.mdev:
    uuid: 669d9b23-fe1b-4ecb-be08-a2fabca99b71
    state: defined
    attrs_delete_index: 1
    attrs_add:
      - assign_domain: '0x42'

- name: Exactly these vfio_ccw devices on their subchannels, nothing else
  vfio.passthrough.mdev:
    type: vfio_ccw-io
    autostart: auto
    exclusive: true
    devices:
      - {parent: 0.0.0313, uuid: 7e270a25-e163-4922-af60-757fc8ed48c6}
      - {parent: 0.0.0314, uuid: b29e4ca9-5cdb-4ee1-a01b-79085b9ab237}

- name: Exactly four mtty devices, whatever their UUIDs; surplus ones removed
  vfio.passthrough.mdev:
    parent: mtty
    type: mtty-1
    count: 4
    exclusive: true

- name: Remove a device and its definition
  vfio.passthrough.mdev:
    uuid: 669d9b23-fe1b-4ecb-be08-a2fabca99b71
    state: absent
'''

RETURN = r'''
uuid:
  description:
    - The UUID of the device (generated when the task gave none). With I(devices), the first device's.
    - In check mode a UUID that the run would generate is not previewed - it is null, and the actions name it
      C(<new uuid>).
  returned: when at least one device was handled
  type: str
  sample: 7e270a25-e163-4922-af60-757fc8ed48c6
devices:
  description: One entry per device, with the state after the task (predicted in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: The UUID.
      type: str
      sample: 669d9b23-fe1b-4ecb-be08-a2fabca99b71
    parent:
      description: The parent device.
      type: str
      sample: matrix
    mdev_type:
      description: The mdev type.
      type: str
      sample: vfio_ap-passthrough
    start:
      description: C(auto) or C(manual) from the definition, null when not defined.
      type: str
      sample: manual
    attrs:
      description: The attributes, in order (the index in this list is mdevctl's C(@{n})).
      type: list
      elements: dict
      sample: [{assign_adapter: '5'}, {assign_domain: '0xab'}, {assign_domain: '0x42'}]
    defined:
      description: Whether a definition exists.
      type: bool
    active:
      description: Whether the device runs.
      type: bool
    changed:
      description: Whether this device changed.
      type: bool
    actions:
      description: What was done (or would be done in check mode), in order.
      type: list
      elements: str
      sample: [define in /etc/mdevctl.d/matrix/669d9b23-fe1b-4ecb-be08-a2fabca99b71]
conflicts:
  description: When whole-system validation refuses the change, every conflict it found (as mdev_validate reports them).
  returned: on failure by validation
  type: list
  elements: dict
  sample: [{kind: apqn_in_use, devices: [5ea6c8d9-..., 669d9b23-...], apqns: ['05.0004'], msg: APQN 05.0004 is ...}]
callouts:
  description: The callout and notifier scripts that ran, in order.
  returned: always
  type: list
  elements: dict
  sample: [{script: /etc/mdevctl.d/scripts.d/callouts/ap-check, event: pre, action: define, state: none, rc: 0}]
boot_start:
  description:
    - What starts C(auto) definitions at boot on this host - C(mdevctl) (its udev rule, where mdevctl is installed and
      that rule can run it) or C(builtin) (the collection's rule and program, installed when the run leaves an
      C(auto) definition; also where mdevctl's rule names a program that does not exist, as Debian 12's does).
  returned: always
  type: str
  sample: mdevctl
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import entry_options, host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_plan
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.plan import plan_mdevs
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.request import STATES, MdevRequest, counted

INHERITED = ('parent', 'type', 'autostart', 'state', 'persistent', 'live', 'force')
ENTRY = ('uuid', 'attrs', 'matrix', 'count') + INHERITED


def requests(params):
    """One MdevRequest per device, entries inheriting the task's options."""
    single = dict((k, params[k]) for k in ('uuid', 'attrs', 'matrix', 'attrs_delete_index', 'attrs_add',
                                           'attrs_add_index', 'count'))
    entries = params['devices'] if params['devices'] is not None else [single]
    out = []
    for entry in entries:
        merged = dict(entry)
        for key in INHERITED:
            if merged.get(key) is None:
                merged[key] = params[key]
        merged['mdev_type'] = merged.pop('type')
        count = merged.pop('count', None)
        if count is not None:
            out.extend(counted(count, **merged))
        else:
            out.append(MdevRequest(**merged))
    return out


def main():
    """Plan the devices, apply unless in check mode, report each."""
    spec = dict(
        uuid=dict(type='str'),
        parent=dict(type='str'),
        type=dict(type='str', aliases=['mdev_type']),
        attrs=dict(type='list', elements='dict'),
        matrix=dict(type='dict'),
        autostart=dict(type='str', choices=['auto', 'manual']),
        state=dict(type='str', choices=list(STATES), default='started'),
        persistent=dict(type='bool', default=True),
        live=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
        attrs_delete_index=dict(type='int'),
        attrs_add=dict(type='list', elements='dict'),
        attrs_add_index=dict(type='int'),
        count=dict(type='int'),
        exclusive=dict(type='bool', default=False),
        allow_empty=dict(type='bool', default=False),
        validate=dict(type='bool', default=True),
    )
    spec['devices'] = dict(type='list', elements='dict', options=entry_options(spec, ENTRY))
    module = AnsibleModule(
        argument_spec=dict(spec, **host_options()),
        mutually_exclusive=[('devices', 'uuid'), ('devices', 'attrs'), ('devices', 'attrs_add'),
                            ('devices', 'attrs_delete_index'), ('devices', 'matrix'), ('attrs', 'matrix'),
                            ('devices', 'count'), ('uuid', 'count'), ('count', 'attrs_add'),
                            ('count', 'attrs_delete_index')],
        required_if=[('exclusive', True, ('devices', 'count'), True)],
        required_by={'attrs_add_index': 'attrs_add'},
        supports_check_mode=True,
    )
    p = module.params
    run_plan(module, lambda host, locks: plan_mdevs(
        host, requests(p), p['exclusive'], p['validate'], locks,
        exclusive_parent=p['parent'], allow_empty=p['allow_empty']))


if __name__ == '__main__':
    main()
