package dev.modicum.android

import android.os.Build

/**
 * Whether [Build] looks like an emulator (the SDK's goldfish/ranchu images, Genymotion, the
 * SDK's own product names). A heuristic, not a security check: it tells crash triage that a
 * report came from a test device, and nothing should rely on it to trust a device.
 */
internal object EmulatorHeuristic {
    fun looksLikeEmulator(): Boolean {
        val hardware = Build.HARDWARE.orEmpty()
        val product = Build.PRODUCT.orEmpty()
        val fingerprint = Build.FINGERPRINT.orEmpty()
        return hardware == "goldfish" ||
            hardware == "ranchu" ||
            fingerprint.startsWith("generic") ||
            fingerprint.contains("emulator") ||
            Build.MODEL.orEmpty().contains("Android SDK built for") ||
            Build.MANUFACTURER.orEmpty().contains("Genymotion") ||
            product.startsWith("sdk") ||
            product.contains("emulator") ||
            product.contains("simulator")
    }
}
