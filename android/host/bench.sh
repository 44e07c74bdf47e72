#!/usr/bin/env bash
# Benchmarks record() from Kotlin on the JVM against the release build of the library: the
# buffered facade and the naive one-FFI-call-per-event path, in the same run.
#
# Usage: android/host/bench.sh   (from anywhere; builds what it needs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
android="$here/.."
repo_root=$(cd "$android/.." && pwd)
cd "$repo_root"
cargo build --release -p modicum-ffi >&2
cargo build --release -p modicum-ffi --features bindgen --bin uniffi-bindgen >&2
lib_dir="$repo_root/target/release"

eval "$("$repo_root/tests/lib/setup-kotlin.sh")"
build="$android/build/bench"
rm -rf "$build"
mkdir -p "$build/generated" "$build/classes"
"$lib_dir/uniffi-bindgen" generate "$lib_dir/libmodicum_ffi.so" --language kotlin --no-format \
  --config "$here/uniffi-jvm.toml" --out-dir "$build/generated" >&2
cp_of() { local IFS=:; echo "$*"; }
jna=("$JARS"/jna-*.jar "$KOTLIN_STDLIB")
android_api=("$JARS"/android-all-[0-9]*.jar)
"$KOTLINC" -nowarn -jvm-target 17 -d "$build/classes" -cp "$(cp_of "${jna[@]}" "${android_api[@]}")" \
  $(find "$build/generated" "$android/src/main/kotlin" "$android/src/bench/kotlin" -name '*.kt') 2>&1 | grep -v '^warning:' >&2 || true
java -Djna.library.path="$lib_dir" -cp "$(cp_of "$build/classes" "${jna[@]}")" dev.modicum.RecordBench
