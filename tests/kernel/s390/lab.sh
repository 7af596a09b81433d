#!/usr/bin/env bash
# The s390x real-kernel lab: a Linux 6.1 kernel with vfio_ccw, cross-built from Debian's
# linux-source-6.1 (Debian's own s390x kernels have no VFIO_CCW), booted under qemu-system-s390x
# (TCG) with an initramfs holding busybox, Debian's s390x Python 3.11 and the collection. Inside,
# guest/scenarios.py runs the collection's own modules (guest/run_module.py, no ansible-playbook)
# against the real kernel and prints each scenario's record on the console; check.py holds the
# records to what the kernel must have done. udev (Debian's systemd-udevd, no systemd) runs in the
# guest; a second guest (the reboot) boots with the first one's /etc, taken from its console, and
# the disks attached in the opposite order. `make test-kernel-s390` runs this.
#
# Everything downloaded or built is cached in ${VFIO_LAB_CACHE:-/var/cache/vfio-passthrough-lab}/s390,
# outside the clone: the kernel (keyed by the source version and kernel.config), the s390x debs
# and the unpacked Python root. Environment: LAB_TIMEOUT (seconds per guest run, default 900),
# LAB_FIRST_OUTPUT (seconds to wait for the kernel's first console output, default 120; a silent
# guest is restarted once), LAB_STALL (seconds without console output before a guest counts as
# hung, default 300), LAB_QEMU_ARGS (extra QEMU arguments, e.g. -S to test the restart path).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
C=${VFIO_LAB_CACHE:-/var/cache/vfio-passthrough-lab}/s390
RUN=$C/run
t0=$(date +%s.%N)
say() { printf '[s390-lab %6.1fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }
die() { echo "s390-lab: $*" >&2; exit 1; }
mkdir -p "$C" "$RUN"
# one lab run at a time per cache (the work directory and the guest's console are shared)
exec 7>"$C/lab.lock"
flock -n 7 || { say "another s390 lab run holds $C/lab.lock; waiting"; flock 7; }

# --- 1. host packages (amd64): QEMU, the cross compiler and the kernel's build dependencies
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600)
need=()
for p in qemu-system-misc gcc-s390x-linux-gnu binutils-s390x-linux-gnu flex bison bc libssl-dev libelf-dev make \
         xz-utils cpio gzip; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    "${APT[@]}" update -qq && "${APT[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v qemu-system-s390x >/dev/null || die "qemu-system-s390x is not available (package qemu-system-misc)"
say "host packages ready"

# --- 2. the kernel, in the background from now on (nice): a cold build takes 5-17 minutes
nice -n 19 "$HERE/build-kernel.sh" "$C" > "$RUN/kernel-build.out" 2>&1 7>&- &
KPID=$!

# --- 3. s390x debs through a private apt state (dpkg's architecture list is left alone)
# udev: Debian links udevadm (systemd-udevd is a link to it) with systemd's shared code built in, so
# libsystemd-shared is not needed; its Depends adduser (and through it passwd, PAM, debconf) serve only
# the maintainer scripts, which never run here (UDEV_SKIP). A cold download checks this list against
# apt's resolution of udev; the Python root's build checks every NEEDED library. Of util-linux only
# flock goes into the guest: the collection's boot scripts lock with it, as every host has it, and
# busybox has no flock applet (the rest of util-linux would shadow busybox's applets).
PKGS=(busybox-static libc6 libgcc-s1 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
      libffi8 libexpat1 zlib1g libbz2-1.0 liblzma5 libssl3 libuuid1 libsqlite3-0 libncursesw6
      libtinfo6 libreadline8 libcrypt1 libdb5.3 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3
      libkrb5support0 libcom-err2 libkeyutils1
      udev libudev1 libacl1 libblkid1 libcap2 libkmod2 libselinux1 libpcre2-8-0 libzstd1 util-linux)
UDEV_SKIP=(adduser passwd debconf libpam0g libpam-modules libpam-modules-bin libsemanage2 libsemanage-common
           libsepol2 libaudit1 libaudit-common libcap-ng0 gcc-12-base)
mkdir -p "$C/apt/lists/partial" "$C/apt/cache/archives/partial" "$C/debs"
: > "$C/apt/status"
uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '/^deb / && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || uri=http://deb.debian.org/debian
cat > "$C/apt/sources.list" <<EOF
deb [arch=s390x signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri bookworm main
deb [arch=s390x signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri%/debian}/debian-security bookworm-security main
EOF
A=(-o Dir::Etc::SourceList="$C/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
   -o Dir::State::Lists="$C/apt/lists" -o Dir::State::status="$C/apt/status" -o Dir::Cache="$C/apt/cache"
   -o APT::Architecture=s390x -o APT::Architectures=s390x -o APT::Sandbox::User=root)
have_debs() {
    local p
    for p in "${PKGS[@]}"; do
        compgen -G "$C/debs/${p}_*_s390x.deb" >/dev/null || compgen -G "$C/debs/${p}_*_all.deb" >/dev/null || return 1
    done
}
if ! have_debs; then
    [ -n "$(ls "$C/apt/lists/"*Packages* 2>/dev/null)" ] || "${APT[@]}" "${A[@]}" update -qq
    missing=(); for p in "${PKGS[@]}"; do
        compgen -G "$C/debs/${p}_*_s390x.deb" >/dev/null || compgen -G "$C/debs/${p}_*_all.deb" >/dev/null || missing+=("$p")
    done
    say "downloading ${#missing[@]} s390x packages"
    if ! (cd "$C/debs" && apt-get "${A[@]}" download -qq "${missing[@]}"); then
        # an index older than a point release names files the mirror no longer has: refresh once
        "${APT[@]}" "${A[@]}" update -qq
        (cd "$C/debs" && apt-get "${A[@]}" download -qq "${missing[@]}") || die "cannot download the s390x packages ${missing[*]}"
    fi
    # what apt resolves for udev must be in PKGS or be one of the maintainer-script-only packages
    for p in $(apt-get "${A[@]}" -s install --no-install-recommends udev 2>/dev/null | awk '/^Inst /{print $2}'); do
        [[ " ${PKGS[*]} " == *" $p "* || " ${UDEV_SKIP[*]} " == *" $p "* ]] \
            || say "warning: udev depends on $p, which is neither in PKGS nor in UDEV_SKIP (lab.sh)"
    done
fi
say "s390x packages ready ($(find "$C/debs" -name '*.deb' | wc -l) debs)"

# --- 4. the guest's Python root: the debs unpacked, trimmed and byte-compiled on the host (the host's
#        Python is 3.11 too, and .pyc files do not depend on the architecture), cached as one cpio
HOSTPY=$REPO/.venv/bin/python; [ -x "$HOSTPY" ] || HOSTPY=python3
[ "$("$HOSTPY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = 3.11 ] || die "$HOSTPY is not Python 3.11; the guest's .pyc files need the same version"
PYKEY=$( (ls "$C/debs"; sed -n '/^# pyroot-recipe-begin/,/^# pyroot-recipe-end/p' "$0") | sha256sum | cut -c1-12)
PR=$C/pyroot/$PYKEY
if [ ! -f "$PR/root.cpio" ]; then
    say "building the Python root $PR"
    rm -rf "$PR"; mkdir -p "$PR/root"
# pyroot-recipe-begin
    for d in "$C"/debs/*.deb; do
        case ${d##*/} in
            util-linux_*) dpkg-deb --fsys-tarfile "$d" | tar -x -C "$PR/root" ./usr/bin/flock ;;
            *) dpkg -x "$d" "$PR/root" ;;
        esac
    done
    r=$PR/root
    rm -rf "$r"/usr/share/{doc,man,info,lintian,locale,bug,bash-completion,binfmts,applications,pixmaps}
    # udev: no hwdb (8.7 MB of sources, and no hwdb.bin: nothing here looks up USB or PCI ids), no init
    # script, no systemd units or .link files (no systemd), no initramfs-tools hooks
    rm -rf "$r"/lib/udev/hwdb.d "$r"/etc/init.d "$r"/lib/systemd/system "$r"/lib/systemd/network \
           "$r"/usr/share/{initramfs-tools,zsh,pkgconfig}
    for d in test idlelib tkinter turtledemo ensurepip lib2to3 pydoc_data unittest/test ctypes/test sqlite3/test \
             distutils/tests; do rm -rf "$r/usr/lib/python3.11/$d"; done
    find "$r" -name __pycache__ -prune -exec rm -rf {} +
    mkdir -p "$r/bin" "$r/sbin" "$r/etc" "$r/root" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/lib/modules"
    ln -sf python3.11 "$r/usr/bin/python3"
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"
    printf 'root:x:0:\n' > "$r/etc/group"
    # the groups udev's rules name (else udevd warns about each at rule loading)
    gid=100
    grep -ho 'GROUP="[a-z_-]*"' "$r"/lib/udev/rules.d/*.rules | cut -d'"' -f2 | sort -u | while read -r g; do
        printf '%s:x:%d:\n' "$g" $((gid += 1)) >> "$r/etc/group"
    done
    "$HOSTPY" -m compileall -q -j0 --invalidation-mode unchecked-hash -s "$r" -p / "$r/usr/lib/python3.11" >/dev/null || true
# pyroot-recipe-end
    [ -x "$r/bin/busybox" ] || die "busybox-static did not unpack to /bin/busybox"
    [ -x "$r/usr/bin/python3.11" ] || die "python3.11-minimal did not unpack"
    { [ -x "$r/bin/udevadm" ] && [ -L "$r/lib/systemd/systemd-udevd" ]; } || die "udev did not unpack (/bin/udevadm, /lib/systemd/systemd-udevd)"
    [ -x "$r/usr/bin/flock" ] || die "util-linux's flock did not unpack"
    # every shared library the interpreter, its C extensions and udev's programs need must be in the root
    : > "$PR/missing-libs.txt"
    for f in "$r/usr/bin/python3.11" "$r"/usr/lib/python3.11/lib-dynload/*.so "$r/bin/udevadm" "$r"/lib/udev/*_id \
             "$r"/lib/udev/mtd_probe "$r/usr/bin/flock"; do
        for n in $(s390x-linux-gnu-readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            compgen -G "$r/lib/s390x-linux-gnu/$n" >/dev/null || compgen -G "$r/usr/lib/s390x-linux-gnu/$n" >/dev/null \
                || echo "${f#"$r"} needs $n" >> "$PR/missing-libs.txt"
        done
    done
    [ ! -s "$PR/missing-libs.txt" ] || { cat "$PR/missing-libs.txt"; say "warning: shared libraries missing from the guest's Python root (above)"; }
    (cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet > "$PR/root.cpio.tmp") && mv "$PR/root.cpio.tmp" "$PR/root.cpio"
fi
say "Python root ready ($(du -sh "$PR/root.cpio" | cut -f1) cpio, key $PYKEY)"

# --- 5. the collection and ansible-core's module_utils (pure Python), staged for the guest
L=$RUN/lab; rm -rf "$L"; mkdir -p "$L/lab/collections/ansible_collections/vfio/passthrough" "$L/lab/pylib/ansible"
COLL=$L/lab/collections/ansible_collections/vfio/passthrough
tar -C "$REPO" --exclude=__pycache__ -cf - plugins meta galaxy.yml | tar -C "$COLL" -xf -
ASITE=$("$HOSTPY" -c 'import ansible, os; print(os.path.dirname(ansible.__file__))' 2>/dev/null) \
    || ASITE=$(find "$REPO"/.venv/lib -maxdepth 3 -type d -path '*/site-packages/ansible' | head -1)
[ -d "$ASITE/module_utils" ] || die "ansible-core's module_utils not found (run make venv)"
tar -C "$ASITE" --exclude=__pycache__ -cf - module_utils | tar -C "$L/lab/pylib/ansible" -xf -
# as in AnsiballZ: the package 'ansible' of a module payload is an empty stub around module_utils
: > "$L/lab/pylib/ansible/__init__.py"
cp "$HERE/guest/run_module.py" "$HERE/guest/scenarios.py" "$HERE/guest/units.py" "$REPO/tests/kernel/conformance.py" "$L/lab/"
"$HOSTPY" -m compileall -q -j0 --invalidation-mode unchecked-hash -s "$L" -p / "$L/lab" >/dev/null || true
install -m 755 "$HERE/guest/init" "$L/init"
mkdir -p "$L/bin"; ln -s busybox "$L/bin/sh"   # the interpreter of /init, before busybox --install
say "collection staged ($(find "$COLL/plugins" -name '*.py' | wc -l) files) with ansible-core $("$HOSTPY" -c 'import ansible.release as r; print(r.__version__)' 2>/dev/null || echo '?') module_utils"

# --- 6. wait for the kernel
last=$(date +%s)
while kill -0 "$KPID" 2>/dev/null; do
    now=$(date +%s)
    if [ $((now - last)) -ge 60 ]; then
        kd=$(sed -n 's/^KERNEL-DIR //p' "$RUN/kernel-build.out" 2>/dev/null || true)
        if [ -d "$kd/build" ]; then
            say "waiting for the kernel build ($(find "$kd/build" -name '*.o' | wc -l) objects so far, of about 770; log $kd/build.log)"
        else
            say "waiting for the kernel build (downloading and unpacking linux-source-6.1)"
        fi
        last=$now
    fi
    sleep 1
done
wait "$KPID" || { cat "$RUN/kernel-build.out" >&2; die "the kernel build failed"; }
K=$(sed -n 's/^KERNEL-DIR //p' "$RUN/kernel-build.out")
[ -f "$K/DONE" ] || { cat "$RUN/kernel-build.out" >&2; die "the kernel build did not finish"; }
KVER=$(cat "$K/kernel.release")
grep -q 'kernel build:' "$RUN/kernel-build.out" && say "$(grep 'kernel build:' "$RUN/kernel-build.out")"
say "kernel $KVER ready ($K)"

# --- 7. the initramfs: the cached Python root, then this run's files (cpio archives concatenated)
mkdir -p "$L/lib/modules"
cp -a "$K/mods/lib/modules/$KVER" "$L/lib/modules/"
(cd "$L" && find . | LC_ALL=C sort | cpio -o -H newc --quiet > "$RUN/lab.cpio")
cat "$PR/root.cpio" "$RUN/lab.cpio" | gzip -1 > "$RUN/initrd.gz"
say "initramfs ready ($(du -sh "$RUN/initrd.gz" | cut -f1))"

# --- 8. boot. Three virtio-blk-ccw disks: css fe is shown to a guest without MCSS-E as css 0, so the
#        guest sees ccw devices 0.0.0313, 0.0.0314, 0.0.0316, all on cio_ignore at boot. QEMU numbers
#        their subchannels in creation order: 0.0.0313 is on 0.0.0000, 0.0.0314 on 0.0.0001.
# The watchdog is tests/kernel/watchdog.sh, shared with the x86 lab.
# shellcheck source=/dev/null  # tests/kernel/watchdog.sh: the guest watchdog shared by both labs
. "$REPO/tests/kernel/watchdog.sh"
trap guest_cleanup EXIT
read -r -a EXTRA <<< "${LAB_QEMU_ARGS:-}"
export GUEST_DIR=$RUN GUEST_FIRST=${LAB_FIRST_OUTPUT:-120} GUEST_STALL=${LAB_STALL:-300} GUEST_LIMIT=${LAB_TIMEOUT:-900}  # read by guest_boot and guest_run
disks() {  # disks DEVNO...: the virtio-blk-ccw disks in this creation order
    local d
    for d in "$@"; do
        printf '%s\n' -drive "if=none,id=d$d,file=/dev/null,format=raw,readonly=on" -device "virtio-blk-ccw,devno=fe.0.$d,drive=d$d"
    done
}
qemu() {  # qemu INITRD DEVNO...
    local initrd=$1; shift
    mapfile -t dargs < <(disks "$@")
    guest_boot qemu-system-s390x -M s390-ccw-virtio -cpu max -smp 1 -m 1024 -nographic -no-reboot -net none \
        -kernel "$K/bzImage" -initrd "$initrd" -append 'cio_ignore=all,!condev panic=1' "${dargs[@]}" "${EXTRA[@]}"
}
rm -rf "$RUN"/console-*.log "$RUN/console.log" "$RUN/reboot"
rc=0
qemu "$RUN/initrd.gz" 0313 0314 0316 || rc=$?
[ "$rc" != 2 ] || die "the guest printed nothing twice in ${GUEST_FIRST}s: QEMU or the kernel does not start here (see $GUEST_LOG)"
cp "$GUEST_LOG" "$RUN/console.log"
grep -a -E '^LAB-(BOOT|STEP|SCENARIO|EXIT)' "$RUN/console.log" | tr -d '\r' | sed 's/^/    /' || true
CONSOLES=("$RUN/console.log")

# --- 8b. the reboot: a second guest with the first one's /etc and /usr/libexec/vfio-passthrough (what the
#         collection installed; printed on its console as a base64 tar.gz, LAB-STATE) in its initramfs as
#         /lab/state.tar.gz, which its /init unpacks before udev starts, and the disks attached in the opposite
#         order: 0.0.0314 gets subchannel 0.0.0000 and 0.0.0313 gets 0.0.0001. Same kernel command line.
mkdir -p "$RUN/reboot/lab"
if "$HOSTPY" "$HERE/check.py" --state "$RUN/console.log" "$RUN/reboot/lab/state.tar.gz"; then
    say "the first guest's /etc: $(tar -tzf "$RUN/reboot/lab/state.tar.gz" | wc -l) entries, $(stat -c %s "$RUN/reboot/lab/state.tar.gz") bytes; rebooting with the disks swapped"
    # one more gzip member after the first initramfs (the kernel unpacks concatenated archives in order)
    (cd "$RUN/reboot" && echo lab/state.tar.gz | cpio -o -H newc --quiet | gzip -1) | cat "$RUN/initrd.gz" - > "$RUN/reboot/initrd.gz"
    rc2=0
    GUEST_DIR=$RUN/reboot qemu "$RUN/reboot/initrd.gz" 0314 0313 0316 || rc2=$?
    [ "$rc2" != 2 ] || { say "the reboot guest printed nothing twice in ${GUEST_FIRST}s"; rc2=1; }
    cp "$GUEST_LOG" "$RUN/console-reboot.log"
    grep -a -E '^LAB-(BOOT|STEP|SCENARIO|EXIT)' "$RUN/console-reboot.log" | tr -d '\r' | sed 's/^/    /' || true
    CONSOLES+=("$RUN/console-reboot.log")
    [ "$rc2" = 0 ] || { say "the reboot guest did not complete (console: $RUN/console-reboot.log)"; rc=1; }
else
    say "no reboot: the first guest did not print its /etc completely"
fi

# --- 9. the host checks what the guests reported
set +e
"$HOSTPY" "$HERE/check.py" "${CONSOLES[@]}" "$RUN/results.json"
crc=$?
set -e
[ "$rc" = 0 ] || { say "a guest run did not complete (consoles: ${CONSOLES[*]})"; crc=1; }

# --- 10. the simulated seed host against the kernel: the conformance probe's observations side by side
echo "--- the simulated host (seed) against the s390x kernel"
if "$HOSTPY" - "$RUN/results.json" "$RUN/conformance.json" <<'PYEOF'
import json, sys
obs = (json.load(open(sys.argv[1])).get('conformance') or {}).get('data', {}).get('observations')
if not obs:
    sys.exit('no conformance observations in the guest records')
json.dump(obs, open(sys.argv[2], 'w'), indent=1, sort_keys=True)
PYEOF
then
    SIM=$RUN/simroot
    "$REPO/tests/simhost/simhost" stop "$SIM" >/dev/null 2>&1 || true; rm -rf "$SIM"
    "$REPO/tests/simhost/simhost" start "$SIM" --scenario seed >/dev/null
    # the seed's DASDs 0.0.2b09 and 0.0.2b0a play the guest's virtio disks 0.0.0313 and 0.0.0314
    "$HOSTPY" "$REPO/tests/kernel/conformance.py" "$SIM" "$RUN/simhost.json" 0.0.2b09 0.0.2b0a || crc=1
    "$REPO/tests/simhost/simhost" stop "$SIM" >/dev/null
    "$HOSTPY" "$REPO/tests/kernel/compare.py" "$RUN/conformance.json" "$RUN/simhost.json" \
        "$REPO/tests/simhost/KNOWN_DIFFERENCES.md" s390x > "$RUN/compare.txt" || crc=1
    grep -E '^(DIFF|known|listed|s390x:)' "$RUN/compare.txt" | sed 's/^/    /'
    say "conformance: $(tail -1 "$RUN/compare.txt") (all of it: $RUN/compare.txt)"
else
    crc=1
fi
say "done (results: $RUN/results.json)"
exit $crc
