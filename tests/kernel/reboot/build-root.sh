#!/usr/bin/env bash
# The reboot lab's guest disk: a minimal Debian bookworm root (systemd, udev, python3, kmod,
# openssh-server, driverctl, mdevctl) with Debian's own kernel linux-image-$KVER, its initrd and
# the mtty sample driver, as a raw ext4 image. Built with mmdebstrap from the host's apt sources
# into the cache, outside the clone:
#   $CACHE/<KVER>-<recipe hash>/{root.img,vmlinuz,initrd.img,id_ed25519,id_ed25519.pub,DONE}
# The key holds the kernel version and the hash of this file, so a warm run finds the image and
# builds nothing; rm -rf of the cache is always safe.
#   build-root.sh KVER MTTY_KO   prints the image directory on its last line
set -euo pipefail
KVER=$1
MTTY=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${VFIO_LAB_CACHE:-/var/cache/vfio-passthrough-lab}/x86-root
KEY=$KVER-$(sha256sum "$HERE/build-root.sh" | cut -c1-12)
D=$CACHE/$KEY
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one build at a time; a second run waits and then finds the image
if [ -f "$D/DONE" ]; then echo "$D"; exit 0; fi

export DEBIAN_FRONTEND=noninteractive
need=()
for p in mmdebstrap e2fsprogs qemu-utils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# mmdebstrap mounts /proc, /sys and /dev below the root while it runs: a build that was killed may leave them
# mounted, so unmount first and never cross a mount point when removing.
scrub() {
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$1/" | sort -r); do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$1"
}
for t in "$D" "$CACHE"/tmp.*; do [ ! -e "$t" ] || scrub "$t"; done
T=$(mktemp -d "$CACHE/tmp.XXXXXX")
trap 'scrub "$T"' EXIT
ROOT=$T/root
ssh-keygen -q -t ed25519 -N '' -C reboot-lab -f "$T/id_ed25519"

# The host's own apt sources (one-line and deb822), so the guest gets the same mirror and point release.
SOURCES=()
if grep -qsE '^[[:space:]]*deb ' /etc/apt/sources.list; then SOURCES+=(/etc/apt/sources.list); fi
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -qs 'debian' "$f" && SOURCES+=("$f")
done
[ ${#SOURCES[@]} -gt 0 ] || SOURCES=(http://deb.debian.org/debian)

PKGS=systemd-sysv,udev,dbus,kmod,python3,openssh-server,driverctl,mdevctl,e2fsprogs,iproute2,procps
PKGS=$PKGS,initramfs-tools,zstd,linux-image-$KVER

# The hooks below are scripts for mmdebstrap, which runs them with the root as $1: no expansion here.
# shellcheck disable=SC2016
# initramfs-tools: only what mounts the root (virtio disk, ext4), so the initrd is small and quick under TCG.
INITRAMFS_HOOK='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks"
printf "MODULES=list\nCOMPRESS=zstd\n" > "$1/etc/initramfs-tools/conf.d/reboot-lab"
cat > "$1/etc/initramfs-tools/hooks/reboot-lab" <<"EOF"
#!/bin/sh
[ "$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
for m in virtio_pci virtio_blk ext4 crc32c_generic; do force_load $m; done
EOF
chmod +x "$1/etc/initramfs-tools/hooks/reboot-lab"'

# shellcheck disable=SC2016
CUSTOMIZE='set -e
R=$1
mkdir -p "$R/lib/modules/'"$KVER"'/extra"
cp "'"$MTTY"'" "$R/lib/modules/'"$KVER"'/extra/mtty.ko"
chroot "$R" depmod -a '"$KVER"'
printf "mtty\n" > "$R/etc/modules-load.d/reboot-lab.conf"
echo reboot-lab > "$R/etc/hostname"
printf "127.0.0.1 localhost\n127.0.1.1 reboot-lab\n" > "$R/etc/hosts"
printf "/dev/vda / ext4 defaults,errors=remount-ro 0 1\n" > "$R/etc/fstab"
mkdir -p "$R/etc/systemd/network"
printf "[Match]\nMACAddress=52:54:00:12:34:56\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n" \
    > "$R/etc/systemd/network/10-lab.network"
chroot "$R" systemctl enable systemd-networkd.service >/dev/null 2>&1
chroot "$R" systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service >/dev/null 2>&1 || true
mkdir -p -m 700 "$R/root/.ssh"
cp "'"$T"'/id_ed25519.pub" "$R/root/.ssh/authorized_keys"
chmod 600 "$R/root/.ssh/authorized_keys"
printf "UseDNS no\nPermitRootLogin prohibit-password\n" > "$R/etc/ssh/sshd_config.d/reboot-lab.conf"
chroot "$R" update-initramfs -u -k '"$KVER"' >/dev/null
cp "$R/boot/vmlinuz-'"$KVER"'" "'"$T"'/vmlinuz"
cp "$R/boot/initrd.img-'"$KVER"'" "'"$T"'/initrd.img"
rm -rf "$R/var/cache/apt/archives/"*.deb "$R/var/lib/apt/lists/"*_Packages'

mmdebstrap --mode=root --variant=apt --quiet \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/gpu/*' \
    --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/media/*' \
    --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/net/wireless/*' \
    --dpkgopt='path-exclude=/lib/modules/*/kernel/drivers/infiniband/*' \
    --dpkgopt='path-exclude=/lib/modules/*/kernel/sound/*' \
    --include="$PKGS" \
    --essential-hook="$INITRAMFS_HOOK" \
    --customize-hook="$CUSTOMIZE" \
    bookworm "$ROOT" "${SOURCES[@]}"

# A sparse 3 GiB ext4 image of the tree (no loop mount needed); runs use copy-on-write overlays of it.
mkfs.ext4 -q -F -L reboot-lab -d "$ROOT" "$T/root.img" 3G
rm -rf "$ROOT"
date -u +%FT%TZ > "$T/DONE"
mv "$T" "$D"
trap - EXIT
# Images of other keys (an older recipe or kernel) are of no further use.
for o in "$CACHE"/*/; do
    o=${o%/}
    [ "$o" = "$D" ] || [ ! -f "$o/DONE" ] || scrub "$o"
done
echo "$D"
