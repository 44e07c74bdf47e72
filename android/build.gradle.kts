// Modicum's Android library. What this build does, in order:
//   1. cargoNdk: builds libmodicum_ffi.so for each ABI with cargo-ndk into build/jniLibs,
//      16 KB page-aligned (NDK r28+ does this by default; the flag keeps older NDKs right).
//   2. uniffiBindings: generates the Kotlin bindings from the built library (library mode,
//      with bindings/uniffi.toml, i.e. Android's cleaner) into build/generated/uniffi.
//   3. compiles them with src/main/kotlin (and src/main/AndroidManifest.xml: the upload
//      JobService and its permissions) into the AAR.
//   Unit tests (src/test/kotlin, plain JUnit and Robolectric) load a host-built library through
//   the desktop JNA jar: cargoHost builds it and the modicum CLI the upload test serves with.
// Verified only where an Android SDK and NDK exist; on machines without them, the host build
// (android/host/build.sh) compiles the same sources against Robolectric's android-all jar.
import org.gradle.api.tasks.Exec

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

val repoRoot = rootDir.parentFile
val abis =
    mapOf(
        "arm64-v8a" to "aarch64-linux-android",
        "armeabi-v7a" to "armv7-linux-androideabi",
        "x86_64" to "x86_64-linux-android",
    )
val jniLibsDir = layout.buildDirectory.dir("jniLibs")
val generatedDir = layout.buildDirectory.dir("generated/uniffi")

android {
    namespace = "dev.modicum"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].apply {
        jniLibs.srcDir(jniLibsDir)
        kotlin.srcDir(generatedDir)
    }
    testOptions.unitTests.isIncludeAndroidResources = true
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // 5.18.1 or newer: older JNA races in Structure.getFieldOrder.
    implementation("net.java.dev.jna:jna:5.18.1@aar")
    implementation("androidx.annotation:annotation:1.9.1")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.11.0")
    // The desktop JNA jar: unit tests run on the development machine's JVM, not on Android.
    testImplementation("net.java.dev.jna:jna:5.18.1")
    testImplementation("junit:junit:4.13.2")
    testImplementation("org.robolectric:robolectric:4.16.1")
}

val cargoNdk by tasks.registering(Exec::class) {
    description = "Builds libmodicum_ffi.so for each ABI with cargo-ndk."
    workingDir = repoRoot
    environment("RUSTFLAGS", "-C link-arg=-Wl,-z,max-page-size=16384")
    commandLine(
        listOf("cargo", "ndk") + abis.keys.flatMap { listOf("-t", it) } +
            listOf("-o", jniLibsDir.get().asFile.path, "build", "--profile", "mobile", "-p", "modicum-ffi"),
    )
}

val uniffiBindings by tasks.registering(Exec::class) {
    description = "Generates the Kotlin bindings from the built library."
    dependsOn(cargoNdk)
    workingDir = repoRoot
    commandLine(
        "cargo",
        "run",
        "--release",
        "-p",
        "modicum-ffi",
        "--features",
        "bindgen",
        "--bin",
        "uniffi-bindgen",
        "--",
        "generate",
        jniLibsDir
            .get()
            .file("arm64-v8a/libmodicum_ffi.so")
            .asFile.path,
        "--language",
        "kotlin",
        "--no-format",
        "--out-dir",
        generatedDir.get().asFile.path,
    )
}

tasks.named("preBuild") { dependsOn(uniffiBindings) }

val cargoHost by tasks.registering(Exec::class) {
    description = "Builds the host library and the modicum CLI for the unit tests."
    workingDir = repoRoot
    commandLine("cargo", "build", "--release", "-p", "modicum-ffi", "-p", "modicum-cli")
}

tasks.withType<Test>().configureEach {
    dependsOn(cargoHost)
    val release = File(repoRoot, "target/release")
    systemProperty("jna.library.path", release.path)
    systemProperty("modicum.cli", File(release, "modicum").path)
    systemProperty("modicum.vectors", File(repoRoot, "tests/vectors").path)
}
