# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Applying persisted overrides at boot where driverctl is not installed.

driverctl's udev rule and ``driverctl@.service`` apply ``/etc/driverctl.d`` at boot when it is
installed; otherwise these files are: a udev rule for devices that appear later and a oneshot
unit that, once devices have settled, re-binds every device whose driver is not its override
(css uevents come after device recognition, so a udev rule alone can miss).
"""

from .._core.bootfiles import BootFiles
from .._core.host import OVERRIDES_RULE, OVERRIDES_SCRIPT, OVERRIDES_UNIT, OVERRIDES_UNIT_LINK

SCRIPT_TEXT = r'''#!/bin/sh
# Installed by the vfio.passthrough Ansible collection.
# Apply the driver overrides persisted in /etc/driverctl.d (driverctl's own files) and
# re-bind every device whose driver is not its override. With an argument <bus>-<device>
# (from the udev rule) only that device. VFIO_PASSTHROUGH_ROOT moves /sys and /etc.
root=${VFIO_PASSTHROUGH_ROOT:-}
[ "$root" = / ] && root=
confdir=$root/etc/driverctl.d
rc=0
apply() {
    name=${1##*/}; bus=${name%%-*}; dev=${name#*-}
    sys=$root/sys/bus/$bus/devices/$dev
    [ -e "$sys/driver_override" ] || return 0
    drv=$(cat "$1"); [ -n "$drv" ] || return 0
    cur=$(cat "$sys/driver_override")
    bound=; [ -L "$sys/driver" ] && bound=$(basename "$(readlink "$sys/driver")")
    if [ "$drv" = none ]; then want=; else want=$drv; fi
    [ "$cur" = "$drv" ] && [ "$bound" = "$want" ] && return 0
    if [ -n "$want" ] && [ ! -d "$root/sys/bus/$bus/drivers/$drv" ] && [ -z "$root" ]; then
        modprobe -q "$drv" || true
    fi
    if [ -n "$bound" ] && [ "$bound" != "$want" ]; then
        echo "$dev" > "$sys/driver/unbind" || return 1
    fi
    echo "$drv" > "$sys/driver_override" || return 1
    [ -z "$want" ] || [ -n "$bound" -a "$bound" = "$want" ] || echo "$dev" > "$root/sys/bus/$bus/drivers_probe" || return 1
}
if [ -n "$1" ]; then
    apply "$confdir/$1" || rc=1
else
    for f in "$confdir"/*; do
        [ -f "$f" ] || continue
        apply "$f" || { echo "vfio-passthrough: could not apply ${f##*/}" >&2; rc=1; }
    done
fi
exit $rc
'''

UDEV_TEXT = '''# Installed by the vfio.passthrough Ansible collection: apply a persisted driver override
# (/etc/driverctl.d/<bus>-<device>) when the device appears.
ACTION=="add", TEST=="/etc/driverctl.d/$env{SUBSYSTEM}-$kernel", RUN+="/usr/libexec/vfio-passthrough/apply-overrides $env{SUBSYSTEM}-$kernel"
'''

UNIT_TEXT = '''# Installed by the vfio.passthrough Ansible collection.
[Unit]
Description=Re-bind devices to their persisted driver overrides (/etc/driverctl.d)
DefaultDependencies=no
After=systemd-udev-settle.service systemd-udev-trigger.service systemd-modules-load.service
Wants=systemd-udev-settle.service
Before=libvirtd.service sysinit.target
ConditionDirectoryNotEmpty=/etc/driverctl.d

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/libexec/vfio-passthrough/apply-overrides

[Install]
WantedBy=multi-user.target
'''


def boot_files(host):
    """The files that apply persisted overrides at boot without driverctl."""
    return BootFiles(host, 'boot-time apply',
                     [(OVERRIDES_SCRIPT, SCRIPT_TEXT, 0o755), (OVERRIDES_RULE, UDEV_TEXT, 0o644),
                      (OVERRIDES_UNIT, UNIT_TEXT, 0o644)],
                     [(OVERRIDES_UNIT_LINK, '../vfio-passthrough-overrides.service')])
