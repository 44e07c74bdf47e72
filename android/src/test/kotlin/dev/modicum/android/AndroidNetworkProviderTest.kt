package dev.modicum.android

import android.app.Application
import android.content.Context
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import android.telephony.TelephonyManager
import dev.modicum.ConsentCategory
import dev.modicum.ffi.NetworkState
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowNetwork
import org.robolectric.shadows.ShadowNetworkCapabilities
import java.util.concurrent.Executor

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class AndroidNetworkProviderTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val connectivity = shadowOf(app.getSystemService(Context.CONNECTIVITY_SERVICE) as ConnectivityManager)
    private val network = ShadowNetwork.newInstance(7)

    private fun capabilities(
        transport: Int,
        unmetered: Boolean,
    ): NetworkCapabilities =
        ShadowNetworkCapabilities.newInstance().also {
            val shadow = shadowOf(it)
            shadow.addTransportType(transport)
            shadow.addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
            if (unmetered) shadow.addCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED)
        }

    /** What the OS does when the default network changes: every registered callback hears it. */
    private fun defaultNetworkBecomes(capabilities: NetworkCapabilities) =
        connectivity.networkCallbacks.toList().forEach { it.onCapabilitiesChanged(network, capabilities) }

    @Test
    fun followsTheDefaultNetworkAndReportsEachChange() {
        shadowOf(app.getSystemService(Context.TELEPHONY_SERVICE) as TelephonyManager).setNetworkOperatorName("Example Mobile")
        val changes = mutableListOf<NetworkState>()
        AndroidNetworkProvider(app).use { provider ->
            provider.reportChangesTo(Executor { it.run() }) { changes.add(it) }

            defaultNetworkBecomes(capabilities(NetworkCapabilities.TRANSPORT_WIFI, unmetered = true))
            assertEquals(NetworkState(connected = true, kind = "wifi", metered = false, carrier = null, ip = null), provider.network())

            defaultNetworkBecomes(capabilities(NetworkCapabilities.TRANSPORT_CELLULAR, unmetered = false))
            assertEquals(
                NetworkState(connected = true, kind = "cellular", metered = true, carrier = "Example Mobile", ip = null),
                provider.network(),
            )
            defaultNetworkBecomes(capabilities(NetworkCapabilities.TRANSPORT_CELLULAR, unmetered = false))

            connectivity.networkCallbacks.toList().forEach { it.onLost(network) }
            assertEquals(NetworkState(connected = false, kind = "none", metered = false, carrier = null, ip = null), provider.network())

            assertEquals("one report per change, none for a repeat", listOf("wifi", "cellular", "none"), changes.map { it.kind })
        }
        assertTrue("close unregisters", connectivity.networkCallbacks.isEmpty())
    }

    @Test
    fun connectivityChangesAreRecordedThroughTheCore() {
        val modicum = TestModicum(app)
        modicum.start().use { running ->
            running.setConsent(ConsentCategory.DIAGNOSTICS, true)
            defaultNetworkBecomes(capabilities(NetworkCapabilities.TRANSPORT_ETHERNET, unmetered = true))
            val held = awaitHeld(running) { it.contains("\"name\":\"connectivity\"") }
            assertTrue(held, held.contains("\"type\":\"ethernet\""))
            assertTrue(held, held.contains("\"metered\":false"))
            assertEquals("the core asks the provider before uploads", false, running.core.currentConditions().metered)
        }
        assertTrue("closing Modicum unregisters its callback", connectivity.networkCallbacks.isEmpty())
    }
}
