#!/usr/bin/env bash
# The reboot lab: does what a playbook configures survive a real reboot? A minimal Debian bookworm
# guest (systemd, udev, openssh-server, Debian's kernel of tests/kernel/lab.sh, mtty) boots in QEMU
# (TCG, emulated Intel IOMMU, two e1000e, an e1000 and an edu device); the playbook configure.yml runs from
# the host over ssh, the guest reboots, and check.py judges what came back. Two variants, each on
# a fresh copy-on-write overlay of one cached image: `tools` (driverctl and mdevctl installed) and
# `bare` (both purged in the guest before the playbook). See README.md beside this file.
#   REBOOT_LAB_VARIANTS   which variants (default "tools bare")
#   LAB_FIRST_OUTPUT, LAB_STALL, LAB_TIMEOUT   the watchdog (tests/kernel/watchdog.sh), per boot:
#                         defaults 120 s to the first kernel output, 300 s without console or log
#                         growth, 900 s in all
#   VFIO_LAB_CACHE        the cache root (default /var/cache/vfio-passthrough-lab): x86-root/ in it
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$REPO/tests/kernel/reboot
LAB=${LAB:-$REPO/.kernel-lab}
RUN=$LAB/reboot
CACHE=${VFIO_LAB_CACHE:-/var/cache/vfio-passthrough-lab}/x86-root
VARIANTS=${REBOOT_LAB_VARIANTS:-tools bare}
t0=$(date +%s.%N)
say() { printf '[reboot-lab %5.1fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }
die() { echo "reboot-lab: $*" >&2; exit 1; }
# shellcheck source=/dev/null  # tests/kernel/watchdog.sh: the guest watchdog shared by the labs
. "$REPO/tests/kernel/watchdog.sh"
STEP_PID=
cleanup() {
    guest_cleanup
    [ -z "$STEP_PID" ] || kill "$STEP_PID" 2>/dev/null || true
}
trap cleanup EXIT
[ -x "$REPO/.venv/bin/ansible-playbook" ] || die "no .venv: run make venv first"

export DEBIAN_FRONTEND=noninteractive
need=()
for p in qemu-system-x86 qemu-utils bc make gcc openssh-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The kernel: the one tests/kernel/lab.sh boots, whatever linux-image-amd64 depends on today.
kpkg() { apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1; }
KPKG=$(kpkg)
[ -n "$KPKG" ] || { apt-get update -qq; KPKG=$(kpkg); }
[ -n "$KPKG" ] || die "cannot resolve the kernel of linux-image-amd64"
KVER=${KPKG#linux-image-}
say "kernel $KVER"

# mtty.ko: from the x86 lab's cache when it built one, else built the same way (tests/kernel/lab.sh).
mkdir -p "$CACHE" "$RUN"
MTTY=$CACHE/mtty-$KVER.ko
if [ ! -f "$MTTY" ]; then
    if [ -f "$LAB/cache/mtty-$KVER.ko" ]; then
        cp "$LAB/cache/mtty-$KVER.ko" "$MTTY.tmp"
    else
        SRCPKG=linux-source-$(echo "$KVER" | cut -d. -f1,2)
        dpkg-query -W -f='${Status}' "linux-headers-$KVER" 2>/dev/null | grep -q 'ok installed' || \
            apt-get install -y -qq --no-install-recommends "linux-headers-$KVER" >/dev/null
        B=$RUN/mtty-build; rm -rf "$B"; mkdir -p "$B"
        ( cd "$B" && apt-get download -qq -o APT::Sandbox::User=root "$SRCPKG" )
        dpkg-deb --fsys-tarfile "$B/${SRCPKG}"_*.deb | tar -xO "./usr/src/$SRCPKG.tar.xz" \
            | tar -xJO --wildcards '*/samples/vfio-mdev/mtty.c' > "$B/mtty.c"
        rm -f "$B/${SRCPKG}"_*.deb
        echo 'obj-m := mtty.o' > "$B/Makefile"
        make -s -C "/usr/src/linux-headers-$KVER" M="$B" modules 2>&1 | grep -v 'Skipping BTF' || true
        cp "$B/mtty.ko" "$MTTY.tmp"
    fi
    mv "$MTTY.tmp" "$MTTY"
fi
say "mtty.ko ready"

tb=$(date +%s)
IMG=$("$HERE/build-root.sh" "$KVER" "$MTTY" | tail -1)
[ -f "$IMG/DONE" ] || die "the guest image was not built"
say "guest image $IMG ($(( $(date +%s) - tb ))s; built $(cat "$IMG/DONE"))"
KEY=$IMG/id_ed25519

export ANSIBLE_CONFIG=$REPO/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True \
    ANSIBLE_RETRY_FILES_ENABLED=False
export GUEST_FIRST=${LAB_FIRST_OUTPUT:-120} GUEST_STALL=${LAB_STALL:-300} GUEST_LIMIT=${LAB_TIMEOUT:-900}

# --- run on the host while a guest runs (in the background of guest_run); V and PORT are set
gssh() {
    ssh -F none -i "$KEY" -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=6 root@127.0.0.1 "$@"
}
qemu_alive() { [ -f "$V/qemu.pid" ] && kill -0 "$(cat "$V/qemu.pid")" 2>/dev/null; }
step_fail() {  # the step cannot go on: stop the guest, so that guest_run ends (without LAB-EXIT) and shows the console
    echo "STEP FAILED: $*"
    if qemu_alive; then kill "$(cat "$V/qemu.pid")" 2>/dev/null || true; fi
    exit 1
}
wait_guest() {  # ssh answers and systemd finished starting up (running, or degraded: check.py lists failed units)
    local t=0 seen=0
    sleep 5
    until gssh true 2>/dev/null; do
        if [ -f "$V/qemu.pid" ]; then
            seen=1; qemu_alive || step_fail "QEMU ended before ssh answered"
        elif [ "$seen" = 1 ]; then
            step_fail "QEMU ended before ssh answered"   # QEMU removes its pid file when it ends
        fi
        [ $t -lt 600 ] || step_fail "no ssh after 600 s"
        sleep 3; t=$((t + 3))
    done
    echo "ssh answers after ${t}s of polling; systemd: $(gssh 'timeout 300 systemctl is-system-running --wait' || true)"
}
playbook() {  # playbook N [ansible-playbook options]
    local n=$1; shift
    local rc=0
    ANSIBLE_SSH_CONTROL_PATH_DIR=$V/cp-$n ANSIBLE_LOCAL_TEMP=$V/tmp \
        ANSIBLE_SSH_ARGS='-o ControlMaster=auto -o ControlPersist=20s -o UserKnownHostsFile=/dev/null -o ServerAliveInterval=5 -o ServerAliveCountMax=6' \
        "$REPO/.venv/bin/ansible-playbook" -i "$V/inventory.ini" "$HERE/configure.yml" \
        -e "results_file=$V/results-$n.json" "$@" > "$V/playbook-$n.log" 2>&1 || rc=$?
    echo "$rc" > "$V/playbook-$n.rc"
    echo "playbook $n: rc $rc, $(grep -a -E '^guest +:' "$V/playbook-$n.log" || echo 'no recap')"
}
state() { gssh "python3 - 0000:00:02.0 0000:00:03.0 0000:00:04.0 0000:00:07.0" < "$HERE/state.py" > "$V/state-$1.json" || step_fail "state.py failed"; }
leave() {  # leave reboot|poweroff: mark the console for the watchdog, then go down
    # On a line of its own: the serial getty's login prompt may be on the console's last line.
    gssh "printf '\\nLAB-EXIT=0\\n' > /dev/ttyS0; nohup sh -c 'sleep 1; systemctl $1' > /dev/null 2>&1 &" || true
}
step_configure() {
    wait_guest
    if [ "$1" = bare ]; then
        gssh 'dpkg --purge driverctl mdevctl' > "$V/purge.log" 2>&1 || step_fail "dpkg --purge failed: $(tail -3 "$V/purge.log")"
        echo "driverctl and mdevctl purged"
    fi
    if [ "$1" = tools ]; then
        # Early binding: the role keeps its command line in /etc/kernel/cmdline (the guest boots without a boot
        # loader, so the lab plays one): it starts as the lab's command line without the IOMMU argument
        gssh "echo '$APPEND_BASE' > /etc/kernel/cmdline" || step_fail "cannot write /etc/kernel/cmdline"
        playbook 1 -e early_binding=true
    else
        playbook 1
    fi
    state configured
    if [ "$1" = tools ]; then
        # the next boot gets what the role left: the command line and the initrd update-initramfs made again
        gssh 'cat /etc/kernel/cmdline' > "$V/cmdline-next" || step_fail "cannot read /etc/kernel/cmdline"
        gssh "cat /boot/initrd.img-$KVER" > "$V/initrd-next.img" || step_fail "cannot read the guest's initrd"
    fi
    leave reboot
}
step_after() {
    wait_guest
    state after   # first, before anything touches the guest: what the boot did
    if [ "$1" = tools ]; then playbook 2 --skip-tags now -e early_binding=true; else playbook 2 --skip-tags now; fi
    leave poweroff
}

boot() {  # boot VARIANT N STEP: one guest run from power-on to its end, the step driving it over ssh
    local v=$1 n=$2 step=$3 rc=0 src=0 try
    for try in 1 2; do
        rm -f "$V/qemu.pid"
        ( "step_$step" "$v" ) > "$V/step-$n.log" 2>&1 &
        STEP_PID=$!
        # shellcheck disable=SC2034  # read by guest_run (tests/kernel/watchdog.sh)
        GUEST_PROGRESS=("$V/step-$n.log" "$V/playbook-$n.log")
        rc=0
        guest_run "$v-$n" "$V/console-$n.log" -- qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
            -nographic -no-reboot -machine q35 -device intel-iommu \
            -device e1000e,addr=02.0,romfile=,mac=52:54:00:00:00:02 -device edu,addr=03.0 \
            -device e1000e,addr=04.0,romfile=,mac=52:54:00:00:00:04 -device e1000,addr=07.0,romfile=,mac=52:54:00:00:00:07 \
            -drive "file=$V/disk.qcow2,if=none,id=d0,format=qcow2,cache=unsafe" -device virtio-blk-pci,drive=d0,addr=05.0 \
            -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:22" \
            -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,addr=06.0,romfile= \
            -kernel "$IMG/vmlinuz" -initrd "$INITRD" -pidfile "$V/qemu.pid" -append "$APPEND" || rc=$?
        # Silent (rc 2), or a kernel panic before ssh ever answered (nothing was done to the guest): once more.
        if [ "$try" = 1 ] && { [ "$rc" = 2 ] || { [ "$rc" != 0 ] && grep -aq 'Kernel panic' "$V/console-$n.log" \
                && ! grep -q '^ssh answers' "$V/step-$n.log"; }; }; then
            say "$v-$n: restarting the guest once"
            kill "$STEP_PID" 2>/dev/null || true; wait "$STEP_PID" 2>/dev/null || true
            cp "$V/console-$n.log" "$V/console-$n.try1.log"
            continue
        fi
        break
    done
    # The guest is gone: the step ends at once (its ssh fails) or within 30 s; then it is stopped.
    for try in $(seq 30); do kill -0 "$STEP_PID" 2>/dev/null || break; sleep 1; done
    kill "$STEP_PID" 2>/dev/null || true
    src=0; wait "$STEP_PID" || src=$?
    STEP_PID=
    sed 's/^/    /' "$V/step-$n.log"
    [ "$rc" = 0 ] && [ "$src" = 0 ]
}

# The kernel command line without the IOMMU's argument (boot 1 adds intel_iommu=on; the tools variant's
# boot 2 takes the whole line from the guest's /etc/kernel/cmdline, as the vfio_pci role left it)
APPEND_BASE='root=/dev/vda rw console=ttyS0 panic=-1 no_timer_check'
fail=0
for v in $VARIANTS; do
    V=$RUN/$v
    rm -rf "$V"; mkdir -p "$V/tmp"
    qemu-img create -q -f qcow2 -F raw -b "$IMG/root.img" "$V/disk.qcow2"
    PORT=$("$REPO/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf '[all]\nguest ansible_host=127.0.0.1 ansible_port=%s ansible_user=root ansible_ssh_private_key_file=%s ansible_python_interpreter=/usr/bin/python3\n' \
        "$PORT" "$KEY" > "$V/inventory.ini"
    INITRD=$IMG/initrd.img APPEND="$APPEND_BASE intel_iommu=on"
    say "variant $v: boot 1, configure"
    if boot "$v" 1 configure; then
        if [ "$v" = tools ]; then   # what the vfio_pci role left for the next boot
            INITRD=$V/initrd-next.img APPEND=$(cat "$V/cmdline-next")
            say "variant $v: boot 2 with the role's command line: $APPEND"
        fi
        say "variant $v: boot 2 (after the reboot), check and replay"
        boot "$v" 2 after || fail=1
    else
        fail=1; say "variant $v: the first boot failed; no reboot"
    fi
done

echo "--- reboot lab: what came back after the reboot"
rc=0
# shellcheck disable=SC2086  # the variants are words
"$REPO/.venv/bin/python" "$HERE/check.py" "$RUN" $VARIANTS || rc=$?
say "done"
[ "$fail" = 0 ] && [ "$rc" = 0 ]
