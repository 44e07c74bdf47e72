#!/usr/bin/env bash
# Installs the Kotlin compiler (npm's kotlin-compiler package, the full JVM kotlinc) and the
# jars android/host/pom.xml lists (JNA, JUnit, Robolectric, android-all) under the cache.
# Idempotent: each part is skipped when its stamp matches. Prints two lines:
#   KOTLINC=<path to kotlinc>
#   KOTLIN_STDLIB=<path to kotlin-stdlib.jar>
#   JARS=<folder of jars>
#   KTLINT_JARS=<folder of ktlint's jars (android/host/ktlint/pom.xml)>
set -euo pipefail
. "$(dirname "$0")/common.sh"

kotlin_version=2.4.20
kotlin_home="$MODICUM_CACHE/kotlin/$kotlin_version/node_modules/kotlin-compiler"
if [ ! -x "$kotlin_home/bin/kotlinc" ]; then
  command -v npm >/dev/null || apt_install npm
  step "install kotlinc $kotlin_version (npm kotlin-compiler)"
  mkdir -p "$MODICUM_CACHE/kotlin/$kotlin_version"
  npm install --no-save --no-audit --no-fund --prefix "$MODICUM_CACHE/kotlin/$kotlin_version" \
    "kotlin-compiler@$kotlin_version" >&2
fi
[ -x "$kotlin_home/bin/kotlinc" ] || die "kotlinc did not install"

pom="$repo_root/android/host/pom.xml"
pom_hash=$(sha256sum "$pom" | cut -c1-16)
jars="$MODICUM_CACHE/jvm/jars-$pom_hash"
if [ ! -f "$jars/.complete" ]; then
  command -v mvn >/dev/null || apt_install maven
  step "resolve JVM test jars from Maven Central ($pom)"
  rm -rf "$jars"
  mvn -B -q -f "$pom" dependency:copy-dependencies -DoutputDirectory="$jars" >&2
  # Some of Robolectric's dependencies (androidx.test) are Android archives; the JVM needs
  # the classes.jar inside each.
  command -v unzip >/dev/null || apt_install unzip
  for aar in "$jars"/*.aar; do
    [ -e "$aar" ] || continue
    unzip -p "$aar" classes.jar > "${aar%.aar}.jar" || die "cannot unpack $aar"
  done
  touch "$jars/.complete"
fi

ktlint_pom="$repo_root/android/host/ktlint/pom.xml"
ktlint_jars="$MODICUM_CACHE/jvm/ktlint-$(sha256sum "$ktlint_pom" | cut -c1-16)"
if [ ! -f "$ktlint_jars/.complete" ]; then
  command -v mvn >/dev/null || apt_install maven
  step "resolve ktlint from Maven Central ($ktlint_pom)"
  rm -rf "$ktlint_jars"
  mvn -B -q -f "$ktlint_pom" dependency:copy-dependencies -DoutputDirectory="$ktlint_jars" >&2
  touch "$ktlint_jars/.complete"
fi

echo "KOTLINC=$kotlin_home/bin/kotlinc"
echo "KOTLIN_STDLIB=$kotlin_home/lib/kotlin-stdlib.jar"
echo "JARS=$jars"
echo "KTLINT_JARS=$ktlint_jars"
