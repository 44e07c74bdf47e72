package dev.modicum.android

import android.app.ActivityManager
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.os.BatteryManager
import android.os.Build
import android.os.StatFs
import dev.modicum.ffi.DeviceInfo
import dev.modicum.ffi.DeviceInfoProvider
import java.util.Locale
import java.util.TimeZone

/**
 * Reads the device as Android reports it: [Build], storage of the app's files directory,
 * memory, screen, battery, locale and time zone. The core calls it on its worker when it starts
 * and when it seals a batch, never on the app's thread; the core then minimizes each field by
 * policy (capacities bucketed, everything dropped without diagnostics consent).
 *
 * It never throws: a field whose API fails (an OEM quirk, a missing service) is left out, so
 * one bad reading costs that field rather than the whole device context. No permission is
 * needed for any of it.
 *
 * [networkKind] supplies the current connection type ("wifi", "cellular", …) when the app has
 * an [AndroidNetworkProvider]; without it the field is left out.
 */
class AndroidDeviceInfoProvider(
    context: Context,
    private val networkKind: () -> String? = { null },
) : DeviceInfoProvider {
    private val context: Context = context.applicationContext ?: context

    override fun deviceInfo(): DeviceInfo {
        val storage = field { StatFs(context.filesDir.path) }
        val metrics = field { context.resources.displayMetrics }
        val battery = field { stickyBatteryIntent() }
        return DeviceInfo(
            brand = field { Build.BRAND },
            manufacturer = field { Build.MANUFACTURER },
            model = field { Build.MODEL },
            osName = "Android",
            osVersion = field { Build.VERSION.RELEASE },
            osBuild = field { Build.DISPLAY },
            appVersion = field { appVersion() },
            cpuArch = field { Build.SUPPORTED_ABIS.firstOrNull() },
            cpuCores = field { Runtime.getRuntime().availableProcessors().toUInt() },
            ramBytes = field { totalMemory() },
            storageTotalBytes = field { storage?.totalBytes?.toULong() },
            storageFreeBytes = field { storage?.availableBytes?.toULong() },
            screenWidth = field { metrics?.widthPixels?.toUInt() },
            screenHeight = field { metrics?.heightPixels?.toUInt() },
            screenDensity = field { metrics?.densityDpi?.toDouble() },
            locale = field { Locale.getDefault().toLanguageTag() },
            timeZone = field { TimeZone.getDefault().id },
            emulator = field { EmulatorHeuristic.looksLikeEmulator() },
            batteryLevel = field { battery?.let(::batteryPercent) },
            charging = field { battery?.let(::isCharging) },
            networkType = field { networkKind() },
        )
    }

    private fun appVersion(): String? = context.packageManager.getPackageInfo(context.packageName, 0).versionName

    private fun totalMemory(): ULong? {
        val manager = context.getSystemService(Context.ACTIVITY_SERVICE) as? ActivityManager ?: return null
        val memory = ActivityManager.MemoryInfo()
        manager.getMemoryInfo(memory)
        return memory.totalMem.takeIf { it > 0 }?.toULong()
    }

    /** The battery's last broadcast: sticky, so registering with no receiver reads it at once. */
    private fun stickyBatteryIntent(): Intent? = context.registerReceiver(null, IntentFilter(Intent.ACTION_BATTERY_CHANGED))

    private fun batteryPercent(intent: Intent): UByte? {
        val level = intent.getIntExtra(BatteryManager.EXTRA_LEVEL, -1)
        val scale = intent.getIntExtra(BatteryManager.EXTRA_SCALE, -1)
        if (level < 0 || scale <= 0) return null
        return (level * 100 / scale).coerceIn(0, 100).toUByte()
    }

    private fun isCharging(intent: Intent): Boolean? =
        when (intent.getIntExtra(BatteryManager.EXTRA_STATUS, -1)) {
            BatteryManager.BATTERY_STATUS_CHARGING, BatteryManager.BATTERY_STATUS_FULL -> true
            BatteryManager.BATTERY_STATUS_DISCHARGING, BatteryManager.BATTERY_STATUS_NOT_CHARGING -> false
            else -> null
        }
}

/** Runs one reading; any failure leaves the field out instead of failing the whole context. */
private inline fun <T> field(read: () -> T?): T? =
    try {
        read()
    } catch (_: Exception) {
        null
    }
