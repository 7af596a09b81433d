#!/bin/sh
# Runs inside the guest, chrooted into the host's root (read-only, with tmpfs on /run,
# /etc/driverctl.d and /etc/mdevctl.d): the conformance probe, the scenario playbook, then the listings
# timed on the real sysfs (realsys.py; make bench reports them).
REPO=$1
OUT=$2
cd "$REPO" || exit 1
export HOME=/run/lab/home TMPDIR=/run/lab/tmp PYTHONDONTWRITEBYTECODE=1 ANSIBLE_CONFIG="$REPO/ansible.cfg" \
    ANSIBLE_LOCAL_TEMP=/run/lab/tmp/ansible-local ANSIBLE_REMOTE_TEMP=/run/lab/tmp/ansible-remote ANSIBLE_NOCOLOR=1 \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset VFIO_PASSTHROUGH_ROOT
mkdir -p "$HOME"
.venv/bin/python tests/kernel/conformance.py / "$OUT/conformance.json" > "$OUT/conformance.log" 2>&1
echo $? > "$OUT/conformance.rc"
.venv/bin/ansible-playbook tests/kernel/scenarios.yml > "$OUT/playbook.log" 2>&1
echo $? > "$OUT/playbook.rc"
# mdevctl refuses to run without its package's (empty) callout directories, which the tmpfs on /etc/mdevctl.d hides
mkdir -p /etc/mdevctl.d/scripts.d/callouts /etc/mdevctl.d/scripts.d/notifiers
.venv/bin/python tests/kernel/realsys.py "$OUT/realsys.json" > "$OUT/realsys.log" 2>&1
echo $? > "$OUT/realsys.rc"
sync
