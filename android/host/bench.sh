#!/usr/bin/env bash
# Benchmarks record() from Kotlin on the JVM against the release build of the library (the
# buffered facade and the naive one-FFI-call-per-event path, in the same run), then what
# Modicum.start costs its caller with 10,000 events pending, on the JVM and on Robolectric's
# main looper.
#
# Usage: android/host/bench.sh [start]   (from anywhere; builds what it needs; `start`: only
# the start-up figures)
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
mkdir -p "$build/generated" "$build/classes" "$build/robolectric"
"$lib_dir/uniffi-bindgen" generate "$lib_dir/libmodicum_ffi.so" --language kotlin --no-format \
  --config "$here/uniffi-jvm.toml" --out-dir "$build/generated" >&2
cp_of() { local IFS=:; echo "$*"; }
# What the library itself needs at compile and run time.
library_deps=("$JARS"/jna-*.jar "$JARS"/kotlinx-coroutines-core-jvm-*.jar "$JARS"/annotation-jvm-*.jar "$KOTLIN_STDLIB")
android_api=("$JARS"/android-all-[0-9]*.jar)
"$KOTLINC" -nowarn -jvm-target 17 -d "$build/classes" -cp "$(cp_of "${library_deps[@]}" "${android_api[@]}")" \
  $(find "$build/generated" "$android/src/main/kotlin" "$android/src/bench/kotlin" -name '*.kt' -not -path '*/bench/kotlin/dev/modicum/android/*') \
  2>&1 | grep -v '^warning:' >&2 || true
# Robolectric (and JUnit, which runs it) for the start-up figure on the main looper; at run
# time without the un-instrumented android-all, as in build.sh.
robolectric=("$KOTLIN_STDLIB")
for jar in "$JARS"/*.jar; do
  case "$(basename "$jar")" in android-all-[0-9]*) ;; *) robolectric+=("$jar") ;; esac
done
"$KOTLINC" -nowarn -jvm-target 17 -d "$build/robolectric" -cp "$(cp_of "$build/classes" "${robolectric[@]}" "${android_api[@]}")" \
  $(find "$android/src/bench/kotlin/dev/modicum/android" -name '*.kt') 2>&1 | grep -v '^warning:' >&2 || true
[ "${1:-}" = start ] || java -Djna.library.path="$lib_dir" -cp "$(cp_of "$build/classes" "${library_deps[@]}")" dev.modicum.RecordBench
java -Djna.library.path="$lib_dir" -cp "$(cp_of "$build/classes" "${library_deps[@]}")" dev.modicum.StartBench
java -Drobolectric.offline=true -Drobolectric.dependency.dir="$JARS" -Djna.library.path="$lib_dir" \
  -cp "$(cp_of "$build/classes" "$build/robolectric" "${robolectric[@]}")" org.junit.runner.JUnitCore dev.modicum.android.StartOnMainLooperBench \
  | grep -v '^\(JUnit version\|Time:\|OK (\|\.*$\)' || true
