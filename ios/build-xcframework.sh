#!/usr/bin/env bash
# Builds ModicumFFI.xcframework, the Rust core for iOS apps, and the Swift bindings that match it.
#
# Usage (macOS with Xcode and rustup only):
#   ios/build-xcframework.sh
#
# It builds the `modicum-ffi` static library with the `mobile` cargo profile (size-optimized,
# stripped) for devices (aarch64-apple-ios) and both simulators (aarch64-apple-ios-sim,
# x86_64-apple-ios, joined with lipo), generates the Swift bindings with uniffi-bindgen from an
# unstripped host build (library mode reads the metadata strip would remove), and packages the
# libraries with the C header and module map:
#   ios/build/ModicumFFI.xcframework          the static libraries, headers, module map
#   ios/Sources/Modicum/Generated/*.swift     the bindings, which must come from the same build
# Once the XCFramework exists, ios/Package.swift links it instead of the host library, so an
# app adds the ios/ folder as a local package. To publish, zip the XCFramework and point a
# `.binaryTarget(url:checksum:)` at it (`swift package compute-checksum`).
#
# Set IPHONEOS_DEPLOYMENT_TARGET to change the minimum iOS version (15.0, as in Package.swift).
set -euo pipefail

die() { echo "build-xcframework: $*" >&2; exit 1; }

[ "$(uname -s)" = Darwin ] || die "needs macOS with Xcode (xcodebuild, lipo); this is $(uname -s). Linux hosts run ios/host/test.sh instead."
for tool in cargo rustup xcodebuild lipo; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$here/.." && pwd)
out="$here/build"
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-15.0}"
device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)

cd "$repo_root"
rustup target add "$device" "${simulators[@]}" >&2
for target in "$device" "${simulators[@]}"; do
  echo "==> cargo build --profile mobile --target $target" >&2
  cargo build -p modicum-ffi --lib --profile mobile --target "$target" >&2
done

echo "==> Swift bindings" >&2
cargo build -p modicum-ffi --release >&2
cargo build -p modicum-ffi --release --features bindgen --bin uniffi-bindgen >&2
generated="$out/generated"
rm -rf "$generated"
target/release/uniffi-bindgen generate target/release/libmodicum_ffi.dylib --language swift --out-dir "$generated" >&2
headers="$out/headers"
rm -rf "$headers" && mkdir -p "$headers"
cp "$generated/modicum_ffiFFI.h" "$headers/"
cp "$generated/modicum_ffiFFI.modulemap" "$headers/module.modulemap"
mkdir -p "$here/Sources/Modicum/Generated"
cp "$generated/ModicumFFI.swift" "$here/Sources/Modicum/Generated/"

echo "==> lipo the simulator slices" >&2
mkdir -p "$out/simulator"
lipo -create "target/${simulators[0]}/mobile/libmodicum_ffi.a" "target/${simulators[1]}/mobile/libmodicum_ffi.a" \
  -output "$out/simulator/libmodicum_ffi.a"

echo "==> xcodebuild -create-xcframework" >&2
rm -rf "$out/ModicumFFI.xcframework"
xcodebuild -create-xcframework \
  -library "target/$device/mobile/libmodicum_ffi.a" -headers "$headers" \
  -library "$out/simulator/libmodicum_ffi.a" -headers "$headers" \
  -output "$out/ModicumFFI.xcframework" >&2

echo "$out/ModicumFFI.xcframework"
