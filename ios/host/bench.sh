#!/usr/bin/env bash
# Benchmarks record() from Swift, the facade's buffered path and one FFI call per event in the
# same run, in the Swift root that ios/host/test.sh uses. The Swift side is a release build.
#
# Usage: ios/host/bench.sh                          builds the Rust library (release) first
#        ios/host/bench.sh <lib folder> <uniffi-bindgen>   uses an existing build as it is;
#                                                   a debug library slows the FFI path only
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ios="$here/.."
repo_root=$(cd "$ios/.." && pwd)
cd "$repo_root"
if [ $# -ge 2 ]; then
  lib_dir=$(cd "$1" && pwd)
  bindgen=$2
else
  cargo build --release -p modicum-ffi >&2
  cargo build --release -p modicum-ffi --features bindgen --bin uniffi-bindgen >&2
  lib_dir="$repo_root/target/release"
  bindgen="$lib_dir/uniffi-bindgen"
fi
swift_root=$("$repo_root/tests/lib/setup-swift.sh")

generated="$ios/build/generated-bench"
rm -rf "$generated"
"$bindgen" generate "$lib_dir/libmodicum_ffi.so" --language swift --no-format --out-dir "$generated" >&2
work="$swift_root/bench"
mkdir -p "$work/ios" "$work/lib"
find "$work/ios" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
cp -r "$ios/Package.swift" "$ios/Sources" "$ios/Tests" "$ios/Bench" "$ios/Sample" "$work/ios/"
mkdir -p "$work/ios/Sources/Modicum/Generated"
cp "$generated/ModicumFFI.swift" "$work/ios/Sources/Modicum/Generated/"
cp "$generated/modicum_ffiFFI.h" "$work/ios/Sources/modicum_ffiFFI/"
cp "$lib_dir/libmodicum_ffi.so" "$work/lib/"

mountpoint -q "$swift_root/proc" || mount -t proc proc "$swift_root/proc"
trap 'umount "$swift_root/proc" 2>/dev/null || true' EXIT
chroot "$swift_root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
  bash -c 'set -o pipefail; cd /bench/ios && swift run -c release --disable-sandbox \
    -Xlinker -L/bench/lib -Xlinker -rpath -Xlinker /bench/lib ModicumBench 2>&1 | grep -v "^\[" '
