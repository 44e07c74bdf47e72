#!/usr/bin/env bash
# Installs Swift 6.0 (Debian trixie's swiftlang) into a debootstrap'd folder under the cache.
# Idempotent: a finished root is marked with a stamp file and reused as it is.
set -euo pipefail
. "$(dirname "$0")/common.sh"

swift_root="$MODICUM_CACHE/swift-root"
stamp="$swift_root/.modicum-ready-v1"
[ -f "$stamp" ] && { echo "$swift_root"; exit 0; }

[ "$(id -u)" -eq 0 ] || die "the Swift chroot needs root (debootstrap, chroot, mount)"
apt_install debootstrap debian-archive-keyring

if [ ! -x "$swift_root/usr/bin/apt-get" ] || [ ! -f "$swift_root/.modicum-debootstrapped" ]; then
  step "debootstrap trixie into $swift_root"
  rm -rf "$swift_root"
  debootstrap --variant=minbase trixie "$swift_root" http://deb.debian.org/debian >&2
  touch "$swift_root/.modicum-debootstrapped"
fi

mountpoint -q "$swift_root/proc" || mount -t proc proc "$swift_root/proc"
trap 'umount "$swift_root/proc" 2>/dev/null || true' EXIT
cp /etc/resolv.conf "$swift_root/etc/resolv.conf"
step "install swiftlang in the chroot"
chroot "$swift_root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends swiftlang libc6-dev libstdc++-14-dev ca-certificates' >&2
touch "$stamp"
echo "$swift_root"
