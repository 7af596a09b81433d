#!/usr/bin/env bash
# build-kernel.sh CACHE: cross-build the lab's s390x kernel from Debian's linux-source-6.1 into
# CACHE/kernel/<source version>-<fragment hash>/ (bzImage, modules under mods/, build.log, a DONE
# stamp) and prints "KERNEL-DIR <that directory>". Safe to run concurrently (flock) and
# repeatedly (a finished key is not rebuilt).
# lab.sh starts it early in the background; it can also be run alone to warm the cache.
set -euo pipefail
C=${1:?usage: build-kernel.sh CACHE}
HERE=$(cd "$(dirname "$0")" && pwd)
FRAG=$HERE/kernel.config
export DEBIAN_FRONTEND=noninteractive
need=()
for p in gcc-s390x-linux-gnu flex bison bc libssl-dev libelf-dev make xz-utils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
mkdir -p "$C/src"
exec 9>"$C/src/.lock"; flock 9
VER=$(apt-cache policy linux-source-6.1 | sed -n 's/^ *Candidate: //p')
compgen -G "$C/src/linux-source-6.1_*.deb" >/dev/null || (cd "$C/src" && apt-get -o APT::Sandbox::User=root download -qq linux-source-6.1)
deb=$(find "$C/src" -maxdepth 1 -name 'linux-source-6.1_*.deb' | sort | tail -1)
# the version of the deb we have wins over the archive's candidate (no re-download on a point release)
VER=$(dpkg-deb -f "$deb" Version 2>/dev/null || echo "$VER")
KEY=$VER-$(grep -v '^#' "$FRAG" | sort | sha256sum | cut -c1-12)
K=$C/kernel/$KEY
echo "KERNEL-DIR $K"   # lab.sh reads this line
[ -f "$K/DONE" ] && exit 0
SRC=$C/src/linux-source-$VER
if [ ! -f "$SRC/.unpacked" ]; then
    rm -rf "$SRC"; mkdir -p "$SRC"
    dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz | tar -xJ -C "$SRC" --strip-components=1
    touch "$SRC/.unpacked"
fi
exec 9>&-   # the source is ready: release the lock for other keys
exec 8>"$C/kernel.$KEY.lock"; flock 8
[ -f "$K/DONE" ] && exit 0
mkdir -p "$K"; B=$K/build
export ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-
exec 3>&1 4>&2 >"$K/build.log" 2>&1
trap 'echo "build-kernel: failed; the end of $K/build.log:" >&4; tail -30 "$K/build.log" >&4' ERR
start=$(date +%s)
make -s -C "$SRC" O="$B" KCONFIG_ALLCONFIG="$FRAG" allnoconfig
while read -r o; do
    grep -qx "$o" "$B/.config" || { echo "build-kernel: the fragment's $o did not survive allnoconfig"; false; }
done < <(grep -o '^CONFIG_[A-Z0-9_]*=[ym]' "$FRAG")
nice -n 19 make -s -C "$SRC" O="$B" -j"$(nproc)"
KVER=$(cat "$B/include/config/kernel.release")
rm -rf "$K/mods"
make -s -C "$SRC" O="$B" INSTALL_MOD_PATH="$K/mods" modules_install
rm -f "$K/mods/lib/modules/$KVER"/{build,source}
cp "$B/arch/s390/boot/bzImage" "$K/bzImage"
echo "$KVER" > "$K/kernel.release"
echo "kernel build: $(( $(date +%s) - start ))s on $(nproc) cpus"
trap - ERR
exec >&3 2>&4 3>&- 4>&-
tail -1 "$K/build.log"
touch "$K/DONE"
