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
cp -r "$ios/Package.swift" "$ios/.swift-format" "$ios/Sources" "$ios/Tests" "$ios/Bench" "$ios/Sample" "$work/ios/"
cp "$lib_dir/libmodicum_ffi.so" "$work/lib/"
cp "$repo_root"/tests/vectors/*.json "$work/vectors/"

# The reference ingest server for the upload test, on the host's loopback (the root shares
# the network); its database lives inside the root so the test can inspect it.
collector="$work/collector"
rm -rf "$collector" && mkdir -p "$collector"
"$lib_dir/modicum" keygen --out "$collector" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$lib_dir/modicum" serve --addr "127.0.0.1:$port" --db "$collector/ingest.sqlite3" \
  --key "$collector/collector.key" >"$collector/server.log" 2>&1 &
server=$!
cp "$lib_dir/modicum" "$work/lib/"
for _ in $(seq 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v1/health')" 2>/dev/null && break
  sleep 0.05
done

mountpoint -q "$swift_root/proc" || mount -t proc proc "$swift_root/proc"
trap 'kill $server 2>/dev/null || true; umount "$swift_root/proc" 2>/dev/null || true' EXIT
chroot "$swift_root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 MODICUM_VECTORS=/work/vectors \
  MODICUM_COLLECTOR_URL="http://127.0.0.1:$port" MODICUM_COLLECTOR_PUB="$(cat "$collector/collector.pub")" \
  MODICUM_COLLECTOR_DB=/work/collector/ingest.sqlite3 MODICUM_CLI=/work/lib/modicum \
  bash -c 'set -e; cd /work/ios; link="-Xlinker -L/work/lib -Xlinker -rpath -Xlinker /work/lib"
    # A gate like cargo fmt: the toolchain'"'"'s swift-format, with ios/.swift-format, on every
    # Swift file but the generated bindings (`swift-format format -i` fixes what it finds).
    find Package.swift Sources Tests Bench Sample -name "*.swift" -not -path "*/Generated/*" -print0 \
      | xargs -0 /usr/libexec/swift/bin/swift-format lint --strict \
      || { echo "swift-format: FAILED"; exit 1; }
    swift test --disable-sandbox --disable-swift-testing $link 2>&1
    # The integration flow of the sample app, built and run as its command-line entry.
    swift build --disable-sandbox --product ModicumSample $link 2>&1
    .build/debug/ModicumSample'
