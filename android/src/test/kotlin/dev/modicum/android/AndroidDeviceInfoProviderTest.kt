package dev.modicum.android

import android.app.ActivityManager
import android.app.Application
import android.content.Context
import android.content.Intent
import android.content.pm.PackageInfo
import android.os.BatteryManager
import android.os.Build
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowBuild
import org.robolectric.shadows.ShadowStatFs
import org.robolectric.util.ReflectionHelpers
import java.util.Locale
import java.util.TimeZone

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], qualifiers = "w360dp-h640dp-xhdpi")
class AndroidDeviceInfoProviderTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val locale = Locale.getDefault()
    private val timeZone = TimeZone.getDefault()

    @After
    fun restoreDefaults() {
        Locale.setDefault(locale)
        TimeZone.setDefault(timeZone)
    }

    @Test
    fun readsWhatTheOsReports() {
        ShadowBuild.setBrand("google")
        ShadowBuild.setManufacturer("Google")
        ShadowBuild.setModel("Pixel 9")
        ShadowBuild.setVersionRelease("14")
        ShadowBuild.setSupportedAbis(arrayOf("arm64-v8a", "armeabi-v7a"))
        ReflectionHelpers.setStaticField(Build::class.java, "DISPLAY", "AP2A.240805.005")
        ShadowStatFs.registerStats(app.filesDir, 1_000_000, 250_000, 200_000)
        shadowOf(app.getSystemService(Context.ACTIVITY_SERVICE) as ActivityManager)
            .setMemoryInfo(ActivityManager.MemoryInfo().apply { totalMem = 8L shl 30 })
        shadowOf(app.packageManager).installPackage(
            PackageInfo().apply {
                packageName = app.packageName
                versionName = "2.3.1"
            },
        )
        app.sendStickyBroadcast(
            Intent(Intent.ACTION_BATTERY_CHANGED)
                .putExtra(BatteryManager.EXTRA_LEVEL, 37)
                .putExtra(BatteryManager.EXTRA_SCALE, 50)
                .putExtra(BatteryManager.EXTRA_STATUS, BatteryManager.BATTERY_STATUS_CHARGING),
        )
        Locale.setDefault(Locale.forLanguageTag("de-AT"))
        TimeZone.setDefault(TimeZone.getTimeZone("Europe/Vienna"))

        val info = AndroidDeviceInfoProvider(app) { "wifi" }.deviceInfo()

        assertEquals("google", info.brand)
        assertEquals("Google", info.manufacturer)
        assertEquals("Pixel 9", info.model)
        assertEquals("Android", info.osName)
        assertEquals("14", info.osVersion)
        assertEquals("AP2A.240805.005", info.osBuild)
        assertEquals("arm64-v8a", info.cpuArch)
        assertEquals("2.3.1", info.appVersion)
        assertEquals((8uL shl 30), info.ramBytes)
        assertEquals(1_000_000uL * 4096uL, info.storageTotalBytes)
        assertEquals(200_000uL * 4096uL, info.storageFreeBytes)
        assertEquals(720u, info.screenWidth)
        assertEquals(1280u, info.screenHeight)
        assertEquals(320.0, info.screenDensity)
        assertEquals(74.toUByte(), info.batteryLevel)
        assertEquals(true, info.charging)
        assertEquals("de-AT", info.locale)
        assertEquals("Europe/Vienna", info.timeZone)
        assertEquals("wifi", info.networkType)
        assertEquals(false, info.emulator)
    }

    @Test
    fun theEmulatorsHardwareNameGivesItAway() {
        ShadowBuild.setHardware("ranchu")
        assertEquals(true, AndroidDeviceInfoProvider(app).deviceInfo().emulator)
    }

    @Test
    fun aFailingReadingCostsOnlyItsField() {
        val info = AndroidDeviceInfoProvider(app) { throw SecurityException("no permission") }.deviceInfo()
        assertNull("the failing field is left out", info.networkType)
        assertEquals("the rest is still read", Build.MODEL, info.model)
        assertNull("no battery broadcast yet: no level rather than a guess", info.batteryLevel)
    }

    @Test
    fun aDischargingBatteryIsNotCharging() {
        app.sendStickyBroadcast(
            Intent(Intent.ACTION_BATTERY_CHANGED)
                .putExtra(BatteryManager.EXTRA_LEVEL, 9)
                .putExtra(BatteryManager.EXTRA_SCALE, 100)
                .putExtra(BatteryManager.EXTRA_STATUS, BatteryManager.BATTERY_STATUS_DISCHARGING),
        )
        val info = AndroidDeviceInfoProvider(app).deviceInfo()
        assertEquals(9.toUByte(), info.batteryLevel)
        assertFalse(info.charging!!)
        assertTrue(info.cpuCores!! > 0u)
    }
}
