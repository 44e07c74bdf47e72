#!/usr/bin/env bash
# The Android library's build that runs on this machine, without Gradle or an Android SDK:
# generates the JVM-flavoured uniffi bindings, compiles them with the Kotlin facade and the
# Android providers against Robolectric's android-all jar (and the sample app against them),
# then runs the JUnit tests on the JVM (loading the host-built library through JNA) and the
# Robolectric tests.
#
# Usage: android/host/build.sh <folder holding libmodicum_ffi.so> <uniffi-bindgen binary>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
android="$here/.."
repo_root=$(cd "$android/.." && pwd)
lib_dir=$(cd "$1" && pwd)
bindgen=$2

eval "$("$repo_root/tests/lib/setup-kotlin.sh")"

# A gate like cargo fmt and clippy: every committed Kotlin file passes ktlint (`-F` fixes most).
echo "ktlint (committed Kotlin sources)" >&2
kotlin_files=()
while IFS= read -r file; do kotlin_files+=("$repo_root/$file"); done \
  < <(git -C "$repo_root" ls-files 'android/*.kt' 'android/*.kts')
java -cp "$KTLINT_JARS/*" com.pinterest.ktlint.Main "${kotlin_files[@]}" >&2 \
  || { echo "ktlint: FAILED (run it with -F to fix what it can)" >&2; exit 1; }
build="$android/build/host"
rm -rf "$build"
mkdir -p "$build/generated" "$build/main" "$build/sample" "$build/test"

"$bindgen" generate "$lib_dir/libmodicum_ffi.so" --language kotlin --no-format \
  --config "$here/uniffi-jvm.toml" --out-dir "$build/generated" >&2

cp_of() { local IFS=:; echo "$*"; }
# What the library itself needs at compile and run time.
library_deps=("$JARS"/jna-*.jar "$JARS"/kotlinx-coroutines-core-jvm-*.jar "$JARS"/annotation-jvm-*.jar "$KOTLIN_STDLIB")
junit=("$JARS"/junit-4.*.jar "$JARS"/hamcrest-core-*.jar "$JARS"/json-2*.jar)
android_api=("$JARS"/android-all-[0-9]*.jar)
# Robolectric at run time: everything except the un-instrumented android-all, which would
# shadow the instrumented classes Robolectric loads itself.
robolectric=("$KOTLIN_STDLIB")
for jar in "$JARS"/*.jar; do
  case "$(basename "$jar")" in android-all-[0-9]*) ;; *) robolectric+=("$jar") ;; esac
done

echo "compiling Kotlin sources (kotlinc)" >&2
"$KOTLINC" -nowarn -jvm-target 17 -d "$build/main" -cp "$(cp_of "${library_deps[@]}" "${android_api[@]}")" \
  $(find "$build/generated" "$android/src/main/kotlin" -name '*.kt') 2>&1 | grep -v '^warning:' >&2 || true
[ -d "$build/main/dev/modicum" ] || { echo "kotlinc failed on src/main" >&2; exit 1; }
# The sample app compiles against the library, so an API change that breaks it fails here.
"$KOTLINC" -nowarn -jvm-target 17 -d "$build/sample" -cp "$(cp_of "$build/main" "${library_deps[@]}" "${android_api[@]}")" \
  $(find "$android/sample/src/main/kotlin" -name '*.kt') 2>&1 | grep -v '^warning:' >&2 || true
[ -f "$build/sample/dev/modicum/sample/MainActivity.class" ] || { echo "kotlinc failed on sample/" >&2; exit 1; }
# Friend paths: tests see the library's internal declarations, as Gradle's unit tests do.
"$KOTLINC" -nowarn -jvm-target 17 -d "$build/test" -Xfriend-paths="$build/main" \
  -cp "$(cp_of "$build/main" "${robolectric[@]}" "${android_api[@]}")" \
  $(find "$android/src/test/kotlin" -name '*.kt') 2>&1 | grep -v '^warning:' >&2 || true

# A test class runs under Robolectric when it says so; the rest run on the plain JVM.
jvm_tests=() robo_tests=()
while IFS= read -r file; do
  class=$(sed -n 's/^package //p' "$file").$(basename "$file" .kt)
  [ -f "$build/test/${class//.//}.class" ] || { echo "kotlinc failed on $file" >&2; exit 1; }
  if grep -q 'RobolectricTestRunner' "$file"; then robo_tests+=("$class"); else jvm_tests+=("$class"); fi
done < <(find "$android/src/test/kotlin" -name '*Test.kt' | sort)

status=0
echo "--- JUnit on the JVM (JNA): ${jvm_tests[*]}"
java -Djna.library.path="$lib_dir" -Dmodicum.vectors="$repo_root/tests/vectors" -Dmodicum.cli="$lib_dir/modicum" -cp "$(cp_of "$build/main" "$build/test" "${library_deps[@]}" "${junit[@]}")" \
  org.junit.runner.JUnitCore "${jvm_tests[@]}" || status=1
echo "--- JUnit under Robolectric (SDK 34, offline): ${robo_tests[*]}"
java -Drobolectric.offline=true -Drobolectric.dependency.dir="$JARS" -Djna.library.path="$lib_dir" \
  -cp "$(cp_of "$build/main" "$build/test" "${robolectric[@]}")" \
  org.junit.runner.JUnitCore "${robo_tests[@]}" || status=1
exit $status
