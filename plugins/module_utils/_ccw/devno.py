# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeping a subchannel's persisted files with its device across IPLs.

driverctl keys an override by subchannel (``/etc/driverctl.d/css-0.0.0313``) and mdevctl a
definition by parent, the subchannel (``/etc/mdevctl.d/0.0.0313/<uuid>``); but the subchannel
that carries a device number may change between IPLs. For each persisted css override the
collection records the device number and the subchannel the files are kept for
(``/etc/vfio-passthrough/css.d/<device number>``). At boot, a udev rule that runs before
driverctl's and mdevctl's (``04-``) moves each device's files to the subchannel that carries it
now, and parks the files of a device that is not there, so that no other device gets them.
"""

import re

from .._core import fileio as _fileio
from .._core.bootfiles import BootFiles
from .._core.host import CSS_RECORDS, CSS_RESOLVE_RULE, CSS_RESOLVE_SCRIPT

_RECORD = re.compile(r'^subchannel=(\S+)\s*$', re.M)

SCRIPT_TEXT = r'''#!/bin/sh
# Installed by the vfio.passthrough Ansible collection. A ccw device's subchannel may change
# between IPLs; its device number does not. /etc/vfio-passthrough/css.d/<device number> names the
# subchannel whose files belong to the device: driverctl's /etc/driverctl.d/css-<subchannel> and
# mdevctl's /etc/mdevctl.d/<subchannel>/. Run by udev when a subchannel appears (argument: its
# name), before driverctl's and mdevctl's rules read those files: move each device's files to the
# subchannel that carries it now, and park the files of a device that is not there (so that no
# other device gets them) until it comes back. VFIO_PASSTHROUGH_ROOT moves /sys, /etc and /run.
root=${VFIO_PASSTHROUGH_ROOT:-}
[ "$root" = / ] && root=
records=$root/etc/vfio-passthrough/css.d
parked=$records/.parked
overrides=$root/etc/driverctl.d
mdevs=$root/etc/mdevctl.d
[ -d "$records" ] || exit 0
mkdir -p "$root/run/lock" || exit 1
# udev runs the subchannels' events in parallel: one run at a time reads and moves files
if command -v flock >/dev/null 2>&1; then
    exec 9>"$root/run/lock/vfio-passthrough-css.lock" && flock 9
else  # no util-linux: a directory is created atomically (and /run is empty at boot)
    lock=$root/run/lock/vfio-passthrough-css.d
    tries=0
    until mkdir "$lock" 2>/dev/null; do
        tries=$((tries + 1))
        [ $tries -lt 60 ] || { echo "vfio-passthrough: $lock is held, going on without it" >&2; lock=; break; }
        sleep 1
    done
    [ -z "$lock" ] || trap 'rmdir "$lock" 2>/dev/null' EXIT
fi
rc=0
recorded() {  # the subchannel a record names
    sed -n 's/^subchannel=//p' "$1" | head -n 1
}
valid() {  # a subchannel name or none: an empty or garbled record is never taken for a path
    case $1 in
        none | 0.[0-3].[0-9a-f][0-9a-f][0-9a-f][0-9a-f]) return 0 ;;
    esac
    return 1
}
record() {  # rewrite a record whole: a crash leaves the old one or the new one
    printf 'subchannel=%s\n' "$2" > "$records/.new-${1##*/}" && mv "$records/.new-${1##*/}" "$1" || rc=1
}
if [ -n "$1" ]; then  # the common case, without a scan: this subchannel's files are where they belong
    devno=; { read -r devno < "$root/sys/bus/css/devices/$1/dev_busid"; } 2>/dev/null
    if [ -f "$records/$devno" ]; then
        [ "$(recorded "$records/$devno")" = "$1" ] && exit 0
    elif ! grep -qsx "subchannel=$1" "$records"/*; then
        exit 0
    fi
fi
mkdir -p "$parked" || exit 1
map=$(for s in "$root"/sys/bus/css/devices/*; do
    id=; { read -r id < "$s/dev_busid"; } 2>/dev/null && echo "$id ${s##*/}"
done)
now() {  # the subchannel that carries device number $1 now, if any
    echo "$map" | awk -v d="$1" '$1 == d { print $2; exit }'
}
park() {  # the live files win over a copy parked at an earlier boot
    [ -e "$1" ] || return 0
    rm -rf "$2" && mv "$1" "$2" && return 0
    echo "vfio-passthrough: cannot park $1 as $2" >&2; rc=1; return 1
}
unpark() {  # never over a file that is there: a directory's files one by one into an existing one
    [ -e "$1" ] || return 0
    if [ -d "$1" ] && [ -d "$2" ]; then
        for f in "$1"/*; do
            [ -e "$f" ] || continue
            if [ -e "$2/${f##*/}" ]; then
                echo "vfio-passthrough: $2/${f##*/} exists, $f is left parked" >&2; rc=1; return 1
            fi
            mv "$f" "$2/" || { rc=1; return 1; }
        done
        rmdir "$1"
    elif [ -e "$2" ]; then
        echo "vfio-passthrough: $2 exists, $1 is left parked" >&2; rc=1; return 1
    else
        mkdir -p "${2%/*}" && mv "$1" "$2" || { rc=1; return 1; }
    fi
}
for f in "$records"/*; do  # first park the files of every device that is elsewhere now, or gone
    [ -f "$f" ] || continue
    devno=${f##*/}; old=$(recorded "$f")
    valid "$old" || { echo "vfio-passthrough: $f names no subchannel ('$old'); left alone" >&2; rc=1; continue; }
    new=$(now "$devno")
    [ "$old" = none ] || [ "$old" = "$new" ] && continue
    # a device not seen (yet) keeps its files while its subchannel is not registered either
    [ -n "$new" ] || [ -d "$root/sys/bus/css/devices/$old" ] || continue
    park "$overrides/css-$old" "$parked/$devno.driverctl" && park "$mdevs/$old" "$parked/$devno.mdevctl" \
        && record "$f" none
done
for f in "$records"/*; do  # then give each device that is there its files on its subchannel now
    [ -f "$f" ] || continue
    devno=${f##*/}; new=$(now "$devno")
    [ "$(recorded "$f")" = none ] && [ -n "$new" ] || continue
    unpark "$parked/$devno.driverctl" "$overrides/css-$new" && unpark "$parked/$devno.mdevctl" "$mdevs/$new" \
        && record "$f" "$new" && echo "vfio-passthrough: the files of ccw device $devno now belong to subchannel $new" >&2
done
exit $rc
'''

UDEV_TEXT = '''# Installed by the vfio.passthrough Ansible collection: before driverctl's and mdevctl's rules read the
# files of a subchannel, move the files of each ccw device to the subchannel that carries it at this boot.
ACTION=="add", SUBSYSTEM=="css", TEST=="/etc/vfio-passthrough/css.d", IMPORT{program}="/usr/libexec/vfio-passthrough/resolve-css $kernel"
'''


def boot_files(host):
    """The rule and program that move the files of each device to its subchannel at boot."""
    return BootFiles(host, 'device numbers at boot',
                     [(CSS_RESOLVE_SCRIPT, SCRIPT_TEXT, 0o755), (CSS_RESOLVE_RULE, UDEV_TEXT, 0o644)])


class DevnoRecords(object):
    """``/etc/vfio-passthrough/css.d/<device number>``: the subchannel the device's files are kept for."""

    def __init__(self, host):
        self.host = host

    def path(self, devno):
        """The record of a device number."""
        return self.host.path(*CSS_RECORDS + (devno,))

    def display(self, devno):
        """The record's path as on the host."""
        return self.host.display(self.path(devno))

    def get(self, devno):
        """The subchannel recorded for a device number, ``none`` when parked, or None."""
        m = _RECORD.search(_fileio.read_text(self.path(devno), self.display(devno)) or '')
        return m.group(1) if m else None

    def put(self, devno, subchannel):
        """Record (or with None, forget) the subchannel of a device number."""
        if subchannel is None:
            _fileio.remove(self.path(devno), self.display(devno))
        else:
            _fileio.write_atomic(self.path(devno), 'subchannel=%s\n' % subchannel, 0o644, self.display(devno),
                                 self.host.tools)


def device_number(dev):
    """The device number a subchannel carries (``dev_busid``), or None for none."""
    busid = dev.attr('dev_busid')
    return busid if busid and busid != 'none' else None
