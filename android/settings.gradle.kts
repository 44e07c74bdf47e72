// The Android library as a standalone Gradle build, for real Android consumers.
// Needs the Android SDK and NDK (r28 or newer), Rust with the Android targets, and cargo-ndk.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "modicum-android"

// The sample app (android/sample), built against this library.
include(":sample")
