#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mdev_info
short_description: List mediated devices, their definitions and the mdev types of each parent
version_added: 0.1.0
description:
  - Everything C(mdevctl list), C(list -d), C(list -v), C(--dumpjson) and C(types) show, as data. Active devices
    (C(/sys/bus/mdev/devices)) and definitions (C(/etc/mdevctl.d)) are merged per parent and UUID (mdevctl lets
    one UUID be defined under several parents; each definition is its own entry). Entries of
    C(/sys/bus/mdev/devices) that are not UUIDs are skipped, as by mdevctl.
  - A definition file that mdevctl rejects (an attribute value that is not a string, among others) is reported
    in C(problems), and M(vfio.passthrough.mdev) never rewrites it.
  - Definition files that cannot be read (invalid or too deeply nested JSON, not UTF-8 text, a directory or link in
    the way, a parent directory whose name is not UTF-8) are reported in C(problems), never fatal; the other
    definitions are listed as usual. Bytes of a name that are not UTF-8 are shown as C(\xNN).
  - M(vfio.passthrough.mdev) with C(state=absent) and the UUID removes such a file.
author:
  - vfio.passthrough contributors (@vfio-passthrough)
options:
  uuid:
    description: Only this device.
    type: str
  parent:
    description: Only devices and types of this parent (with I(uuid), that parent's definition of the UUID).
    type: str
  type:
    description: Only devices and types of this mdev type.
    type: str
    aliases: [mdev_type]
  report:
    description:
      - What to return. C(devices) is I(devices); C(lines) is I(summary), I(list) and I(list_defined), the lines
        mdevctl prints; C(types) is I(types). I(problems) is always returned, and an empty list returns it alone.
      - Without C(types) the parents' types are not read. Without C(devices) no callout script is run and no
        vfio_ap matrix read for what running devices run with (I(devices[].active_attrs)). On a host with a
        thousand devices the whole result is some 330 kB, and every value of it costs time to return; a task
        that uses one part answers faster asking for that part only (C(report=lines) returns what
        C(mdevctl list; mdevctl list -d) prints).
    type: list
    elements: str
    choices: [devices, lines, types]
    default: [devices, lines, types]
    version_added: 0.2.0
extends_documentation_fragment:
  - vfio.passthrough.attributes.info_module
  - vfio.passthrough.host
seealso:
  - module: vfio.passthrough.mdev
'''

EXAMPLES = r'''
- name: All mdevs and types (mdevctl list; mdevctl list -d; mdevctl types)
  vfio.passthrough.mdev_info:
  register: mdevs

- name: The attributes of one device, with their indexes (mdevctl list -dv -u ...)
  vfio.passthrough.mdev_info:
    uuid: 669d9b23-fe1b-4ecb-be08-a2fabca99b71
  register: one
- ansible.builtin.debug:
    msg: "@{{ '{' }}{{ idx }}{{ '}' }}: {{ item }}"
  loop: "{{ one.devices[0].attrs }}"
  loop_control:
    index_var: idx

- name: Only the lines mdevctl list and mdevctl list -d print (types are not read)
  vfio.passthrough.mdev_info:
    report: lines
  register: lines

# Ad hoc: ansible myhost -m vfio.passthrough.mdev_info -a parent=matrix
'''

RETURN = r'''
summary:
  description:
    - One line per listed device (what I(devices) has an entry for), exactly as mdevctl prints it - for a
      definition the line of C(mdevctl list -d) (C(uuid parent type auto|manual), then C( (active)) when it runs),
      for a device that only runs the line of C(mdevctl list).
  returned: when report includes lines (the default)
  type: list
  elements: str
  sample: ['669d9b23-fe1b-4ecb-be08-a2fabca99b71 matrix vfio_ap-passthrough manual (active)']
list:
  description: Exactly the lines C(mdevctl list) prints (running devices; C( (defined)) when a definition exists).
  returned: when report includes lines (the default)
  type: list
  elements: str
  sample: ['669d9b23-fe1b-4ecb-be08-a2fabca99b71 matrix vfio_ap-passthrough manual (defined)']
list_defined:
  description: Exactly the lines C(mdevctl list -d) prints (definitions; C( (active)) when running).
  returned: when report includes lines (the default)
  type: list
  elements: str
  sample: ['669d9b23-fe1b-4ecb-be08-a2fabca99b71 matrix vfio_ap-passthrough manual (active)']
devices:
  description: Active and defined devices, one entry per UUID, sorted by parent and UUID.
  returned: when report includes devices (the default)
  type: list
  elements: dict
  contains:
    uuid:
      description: The UUID.
      type: str
      sample: 7e270a25-e163-4922-af60-757fc8ed48c6
    parent:
      description: The parent device.
      type: str
      sample: 0.0.0313
    mdev_type:
      description: The mdev type.
      type: str
      sample: vfio_ccw-io
    start:
      description: C(auto) or C(manual), null when not defined.
      type: str
      sample: auto
    attrs:
      description: The defined attributes in order; the list index is mdevctl's C(@{n}). Empty when not defined.
      type: list
      elements: dict
      sample: [{assign_adapter: '5'}]
    active_attrs:
      description:
        - What the running device runs with - the attributes the C(get attributes) callout script reads (what
          C(mdevctl list) shows), or for vfio-ap, when no script answers, the matrix the kernel shows in C(matrix)
          and C(control_domains) as C(assign_*) attributes in hex. Null when neither can tell.
      returned: for running devices
      type: list
      elements: dict
      sample: [{assign_adapter: '0x5'}, {assign_domain: '0x4'}]
    active_attrs_source:
      description: Where I(active_attrs) come from, C(callout) or C(matrix); null when they are null.
      returned: for running devices
      type: str
      sample: matrix
    defined:
      description: Whether a definition exists.
      type: bool
    active:
      description: Whether the device runs.
      type: bool
types:
  description: Per parent, the supported mdev types and what they offer (C(mdevctl types)).
  returned: when report includes types (the default)
  type: dict
  sample: {matrix: {vfio_ap-passthrough: {name: VFIO AP Passthrough Device, device_api: vfio-ap,
           available_instances: 65536, description: null}}}
problems:
  description: Definition files (or directories of them) that could not be read, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{uuid: 7e270a25-e163-4922-af60-757fc8ed48c6, parent: 0.0.0313,
            path: /etc/mdevctl.d/0.0.0313/7e270a25-e163-4922-af60-757fc8ed48c6, msg: "... is not valid JSON"}]
  contains:
    uuid:
      description: The UUID the file is named after, null for a directory that cannot be listed.
      type: str
      sample: 7e270a25-e163-4922-af60-757fc8ed48c6
    parent:
      description: The parent directory's name (bytes that are not UTF-8 shown as C(\xNN)), null for
        C(/etc/mdevctl.d) itself.
      type: str
      sample: 0.0.0313
    path:
      description: The file or directory, as on the host (bytes that are not UTF-8 shown as C(\xNN)).
      type: str
      sample: /etc/mdevctl.d/0.0.0313/7e270a25-e163-4922-af60-757fc8ed48c6
    msg:
      description: Why it cannot be read, naming the path.
      type: str
      sample: "/etc/mdevctl.d/0.0.0313/7e270a25-e163-4922-af60-757fc8ed48c6 is not valid JSON: ..."
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vfio.passthrough.plugins.module_utils._core.argspec import host_options
from ansible_collections.vfio.passthrough.plugins.module_utils._core.runner import run_info
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.inventory import VIEWS, report


def main():
    """Read devices, definitions and types; report what the task asks for."""
    module = AnsibleModule(
        argument_spec=dict(host_options(changing=False), uuid=dict(type='str'), parent=dict(type='str'),
                           type=dict(type='str', aliases=['mdev_type']),
                           report=dict(type='list', elements='str', choices=list(VIEWS), default=list(VIEWS))),
        supports_check_mode=True,
    )
    p = module.params
    run_info(module, lambda host: report(host, p['uuid'], p['parent'], p['type'], p['report']))


if __name__ == '__main__':
    main()
