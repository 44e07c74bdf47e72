package dev.modicum.android

import android.os.Build

/** The device facts Android reports, before any minimization. */
data class DeviceInfo(
    val brand: String,
    val manufacturer: String,
    val model: String,
    val osVersion: String,
    val sdkInt: Int,
)

/** Reads device facts from the platform; one implementation per platform, one for tests. */
fun interface DeviceInfoProvider {
    fun read(): DeviceInfo
}

/** Reads [android.os.Build]: constant for the life of the process, so no permission is needed. */
object BuildDeviceInfoProvider : DeviceInfoProvider {
    override fun read(): DeviceInfo = DeviceInfo(
        brand = Build.BRAND.orEmpty(),
        manufacturer = Build.MANUFACTURER.orEmpty(),
        model = Build.MODEL.orEmpty(),
        osVersion = Build.VERSION.RELEASE.orEmpty(),
        sdkInt = Build.VERSION.SDK_INT,
    )
}
