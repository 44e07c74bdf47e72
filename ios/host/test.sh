#!/usr/bin/env bash
# Runs the Swift package's XCTest tests on this Linux machine: Swift 6.0 from Debian trixie in
# a debootstrap'd folder (tests/lib/setup-swift.sh), linking the host-built Rust library.
# The package and the library are copied into the folder, so nothing is mounted but /proc
# (swiftc finds its own libraries through /proc/self/exe).
#
# Usage: ios/host/test.sh <folder holding libmodicum_ffi.so> <uniffi-bindgen binary>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ios="$here/.."
repo_root=$(cd "$ios/.." && pwd)
lib_dir=$(cd "$1" && pwd)
bindgen=$2

swift_root=$("$repo_root/tests/lib/setup-swift.sh")

generated="$ios/build/generated"
rm -rf "$generated" "$ios/Sources/Modicum/Generated"
"$bindgen" generate "$lib_dir/libmodicum_ffi.so" --language swift --no-format --out-dir "$generated" >&2
mkdir -p "$ios/Sources/Modicum/Generated"
cp "$generated/ModicumFFI.swift" "$ios/Sources/Modicum/Generated/"
cp "$generated/modicum_ffiFFI.h" "$ios/Sources/modicum_ffiFFI/"

# Refresh the package inside the root but keep its .build, so a warm run compiles little.
work="$swift_root/work"
mkdir -p "$work/ios" "$work/lib" "$work/vectors"
find "$work/ios" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
cp -r "$ios/Package.swift" "$ios/Sources" "$ios/Tests" "$work/ios/"
cp "$lib_dir/libmodicum_ffi.so" "$work/lib/"
cp "$repo_root"/tests/vectors/*.json "$work/vectors/"

mountpoint -q "$swift_root/proc" || mount -t proc proc "$swift_root/proc"
trap 'umount "$swift_root/proc" 2>/dev/null || true' EXIT
chroot "$swift_root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 MODICUM_VECTORS=/work/vectors \
  bash -c 'cd /work/ios && swift test --disable-sandbox --disable-swift-testing \
    -Xlinker -L/work/lib -Xlinker -rpath -Xlinker /work/lib 2>&1'
