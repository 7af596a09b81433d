#!/usr/bin/env bash
# The real-kernel lab: boot Debian's own kernel in QEMU (TCG) with the host's userland shared
# read-only over 9p, run the conformance probe and the scenario playbook inside, then hold the
# simulated host to what the kernel showed. `make test-kernel` runs this; it fails loudly when
# QEMU cannot run. Downloads and the built mtty module are cached in .kernel-lab/cache.
# The guest is watched as in the s390x lab (tests/kernel/watchdog.sh): no kernel output within
# LAB_FIRST_OUTPUT seconds (default 120) stops it and starts it once more; no console output and no
# progress of the playbook for LAB_STALL seconds (default 300), or LAB_TIMEOUT seconds in all
# (default 1800: the guest's playbook alone took 700 s at load average 5), stops it with the console's tail. LAB_QEMU_ARGS adds QEMU arguments (-S tries the
# restart path).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
LAB=${LAB:-$REPO/.kernel-lab}
CACHE=$LAB/cache
WORK=$LAB/work
PY=$REPO/.venv/bin/python
t0=$(date +%s.%N)
say() { printf '[lab %5.1fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }
die() { echo "lab: $*" >&2; exit 1; }
# shellcheck source=/dev/null  # tests/kernel/watchdog.sh: the guest watchdog shared by both labs
. "$REPO/tests/kernel/watchdog.sh"
trap guest_cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
need=()
for p in qemu-system-x86 busybox-static bc cpio make gcc; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not available: the real-kernel lab cannot run here"

# The kernel version follows Debian: whatever linux-image-amd64 depends on today.
KPKG=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
[ -n "$KPKG" ] || { apt-get update -qq; KPKG=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1); }
[ -n "$KPKG" ] || die "cannot resolve the kernel of linux-image-amd64"
KVER=${KPKG#linux-image-}
SRCPKG=linux-source-$(echo "$KVER" | cut -d. -f1,2)
say "kernel $KVER"
dpkg-query -W -f='${Status}' "linux-headers-$KVER" 2>/dev/null | grep -q 'ok installed' || \
    apt-get install -y -qq --no-install-recommends "linux-headers-$KVER" >/dev/null
mkdir -p "$CACHE" "$WORK"
( cd "$CACHE"
  ls "${KPKG}"_*.deb >/dev/null 2>&1 || apt-get download -qq "$KPKG"
  [ -f "mtty-$KVER.c" ] || { ls "${SRCPKG}"_*.deb >/dev/null 2>&1 || apt-get download -qq "$SRCPKG"; } )
say "packages ready"

# Kernel image (uncompressed vmlinux: it boots through PVH) and modules, cached per version.
K=$CACHE/kernel-$KVER
if [ ! -f "$K/vmlinux" ]; then
    rm -rf "$K"; mkdir -p "$K"
    dpkg -x "$CACHE/${KPKG}"_*.deb "$K/pkg"
    "$PY" - "$K/pkg/boot/vmlinuz-$KVER" "$K/vmlinux" <<'PYEOF'
import lzma, sys
data = open(sys.argv[1], 'rb').read()
start = data.find(b'\xfd7zXZ\x00')
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor().decompress(data[start:]))
PYEOF
fi
# The mtty sample driver, built out of tree against the matching headers.
if [ ! -f "$CACHE/mtty-$KVER.ko" ]; then
    if [ ! -f "$CACHE/mtty-$KVER.c" ]; then
        dpkg-deb --fsys-tarfile "$CACHE/${SRCPKG}"_*.deb | tar -xO "./usr/src/$SRCPKG.tar.xz" \
            | tar -xJO --wildcards '*/samples/vfio-mdev/mtty.c' > "$CACHE/mtty-$KVER.c"
        rm -f "$CACHE/${SRCPKG}"_*.deb   # the source package is large; the extracted file is what we keep
    fi
    B=$WORK/mtty-build; rm -rf "$B"; mkdir -p "$B"
    cp "$CACHE/mtty-$KVER.c" "$B/mtty.c"; echo 'obj-m := mtty.o' > "$B/Makefile"
    make -s -C "/usr/src/linux-headers-$KVER" M="$B" modules 2>&1 | grep -v 'Skipping BTF' || true
    cp "$B/mtty.ko" "$CACHE/mtty-$KVER.ko"
fi
say "kernel and mtty.ko ready"

# initramfs: busybox, the modules with their dependencies, and an init that mounts the host.
R=$WORK/initramfs; rm -rf "$R"; mkdir -p "$R"/{bin,dev,proc,sys,host,tmp}
KM=$K/pkg/lib/modules/$KVER
RM=$R/lib/modules/$KVER
mkdir -p "$RM/extra"; cp /bin/busybox "$R/bin/"
declare -A seen=()
LOAD=()
add() {
    local n=${1//-/_} f d
    [ -n "${seen[$n]:-}" ] && return 0; seen[$n]=1
    f=$(find "$KM/kernel" \( -name "$n.ko" -o -name "${n//_/-}.ko" \) | head -1)
    if [ -z "$f" ]; then
        grep -qE "/(${n}|${n//_/-})\.ko$" "$KM/modules.builtin" 2>/dev/null && return 0
        die "kernel module $1 not found in $KPKG"
    fi
    mkdir -p "$RM/$(dirname "${f#"$KM"/}")"; cp "$f" "$RM/${f#"$KM"/}"
    for d in $(strings "$f" | sed -n 's/^depends=//p' | tr ',' ' '); do add "$d"; done
    LOAD+=("$n")
}
for m in virtio_pci 9pnet_virtio 9p vfio vfio_iommu_type1 vfio-pci mdev e1000e e1000 nvme snd-ens1370; do add "$m"; done
cp "$CACHE/mtty-$KVER.ko" "$RM/extra/mtty.ko"
cp "$KM/modules.builtin" "$KM/modules.order" "$RM/" 2>/dev/null || true
busybox depmod -b "$R" "$KVER"
cat > "$R/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin; export PATH=/bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
dmesg -n 1   # the boot messages showed the kernel is alive; from here on only the LAB lines on the console
echo "LAB-INIT uptime=\$(cut -d' ' -f1 /proc/uptime)s kernel=\$(uname -r)"
for m in virtio_pci 9pnet_virtio 9p vfio vfio_iommu_type1 vfio-pci mdev mtty e1000e e1000 nvme snd-ens1370; do
    modprobe \$m 2>/dev/null || echo "LAB: modprobe \$m failed"
done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host || echo "LAB: 9p mount failed"
mkdir -p /dev/shm; mount -t tmpfs shm /dev/shm
for d in proc sys; do mount --bind /\$d /host/\$d; done
mount -o rbind /dev /host/dev
# Writable space goes on /run, not /tmp: the checkout itself may live below /tmp.
mount -t tmpfs t /host/run
# where the modules write on a real host (the boot-time start of auto mdevs goes to /usr/libexec and udev's rules.d
# where Debian 12's mdevctl rule cannot start them); the rest of the shared root stays read-only
for d in etc/driverctl.d etc/mdevctl.d etc/udev/rules.d usr/libexec; do [ -d /host/\$d ] && mount -t tmpfs t /host/\$d; done
mkdir -p /host/run/lab/out /host/run/lab/tmp /host/run/lab/home
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /host/run/lab/out || echo "LAB: out mount failed"
chroot /host /bin/sh "$REPO/tests/kernel/guest-run.sh" "$REPO" /run/lab/out
echo "LAB-EXIT=\$?"
sync; poweroff -f
INIT
chmod +x "$R/init"
( cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 > "$WORK/initrd.gz" )
say "initramfs built (${#LOAD[@]} modules + mtty)"

OUT=$WORK/out; rm -rf "$OUT"; mkdir -p "$OUT"
read -r -a EXTRA <<< "${LAB_QEMU_ARGS:-}"
export GUEST_DIR=$WORK GUEST_FIRST=${LAB_FIRST_OUTPUT:-120} GUEST_STALL=${LAB_STALL:-300} GUEST_LIMIT=${LAB_TIMEOUT:-1800}  # read by guest_boot and guest_run
GUEST_PROGRESS+=("$OUT/conformance.log" "$OUT/playbook.log" "$OUT/realsys.log")  # read by guest_run
rm -f "$WORK"/console*.log
qrc=0
guest_boot qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
    -nographic -no-reboot -net none -machine q35 -device intel-iommu \
    -device e1000e,addr=02.0,romfile= -device edu,addr=03.0 \
    -device pci-bridge,id=br0,chassis_nr=1,addr=04.0 \
    -device e1000,bus=br0,addr=01.0,multifunction=on,romfile= -device e1000,bus=br0,addr=01.1,romfile= \
    -audiodev none,id=noaudio -device ES1370,bus=br0,addr=02.0,audiodev=noaudio \
    -device nvme-subsys,id=subsys0 \
    -device nvme,serial=lab,subsys=subsys0,addr=05.0,sriov_max_vfs=7,sriov_vq_flexible=14,sriov_vi_flexible=7,max_ioqpairs=16,msix_qsize=8 \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$OUT,mount_tag=out,security_model=none" \
    -kernel "$K/vmlinux" -initrd "$WORK/initrd.gz" \
    -append 'console=ttyS0 panic=-1 intel_iommu=on' "${EXTRA[@]}" || qrc=$?
cp "$GUEST_LOG" "$WORK/console.log"
[ "$qrc" != 2 ] || die "the guest printed no kernel output twice: QEMU or the kernel does not start here (see $WORK/console.log)"
grep -a -E '^LAB' "$WORK/console.log" | tr -d '\r' || true
if ! grep -aq 'LAB-EXIT=0' "$WORK/console.log"; then
    [ "$qrc" != 0 ] || guest_tail "$WORK/console.log"
    [ ! -s "$OUT/playbook.log" ] || { echo "    the playbook's tail:"; tail -15 "$OUT/playbook.log" | sed 's/^/    | /'; }
    die "the guest did not finish its run (see $WORK/console.log)"
fi

fail=0
echo "--- scenario playbook in the guest (real kernel)"
grep -a -E '^(TASK|ok|changed|fatal|failed|PLAY RECAP|localhost)' "$OUT/playbook.log" | tail -60 || true
[ "$(cat "$OUT/playbook.rc" 2>/dev/null)" = 0 ] || { echo "lab: scenario playbook failed"; fail=1; }
[ "$(cat "$OUT/conformance.rc" 2>/dev/null)" = 0 ] || { cat "$OUT/conformance.log"; echo "lab: conformance probe failed in the guest"; fail=1; }
echo "--- the listings timed on the guest's real sysfs (make bench reports them from $LAB/realsys.json)"
cat "$OUT/realsys.log" 2>/dev/null || true
if [ "$(cat "$OUT/realsys.rc" 2>/dev/null)" = 0 ]; then cp "$OUT/realsys.json" "$LAB/realsys.json"
else echo "lab: the real-sysfs timings failed in the guest"; fail=1; fi

echo "--- the simulated host against the kernel"
SIM=$WORK/simroot
"$REPO/tests/simhost/simhost" stop "$SIM" >/dev/null 2>&1 || true; rm -rf "$SIM"
"$REPO/tests/simhost/simhost" start "$SIM" --scenario x86 >/dev/null
"$PY" "$REPO/tests/kernel/conformance.py" "$SIM" "$OUT/simhost.json" || fail=1
"$REPO/tests/simhost/simhost" stop "$SIM" >/dev/null
"$PY" "$REPO/tests/kernel/compare.py" "$OUT/conformance.json" "$OUT/simhost.json" \
    "$REPO/tests/simhost/KNOWN_DIFFERENCES.md" || fail=1
say "done"
exit $fail
