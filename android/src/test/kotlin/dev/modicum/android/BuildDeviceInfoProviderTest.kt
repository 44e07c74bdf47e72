package dev.modicum.android

import org.junit.Assert.assertEquals
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowBuild

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class BuildDeviceInfoProviderTest {
    @Test
    fun readsBuildFieldsThroughTheAndroidApi() {
        ShadowBuild.setBrand("google")
        ShadowBuild.setManufacturer("Google")
        ShadowBuild.setModel("Pixel 9")
        ShadowBuild.setVersionRelease("14")

        val info = BuildDeviceInfoProvider.read()

        assertEquals(DeviceInfo("google", "Google", "Pixel 9", "14", 34), info)
    }

    @Test
    fun sdkLevelComesFromTheSimulatedDevice() {
        assertEquals(34, BuildDeviceInfoProvider.read().sdkInt)
    }
}
