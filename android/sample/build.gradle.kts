// The sample app: Modicum started in Application.onCreate, a consent switch, an event, a flush.
// Built by the library's Gradle build (`./gradlew :sample:assembleDebug` from android/) where an
// Android SDK exists; the host build (android/host/build.sh) compiles its sources so it cannot rot.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "dev.modicum.sample"
    compileSdk = 35
    defaultConfig {
        applicationId = "dev.modicum.sample"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "1.0"
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    implementation(project(":"))
    // Dispatchers.Main for the screen's MainScope.
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.11.0")
}
