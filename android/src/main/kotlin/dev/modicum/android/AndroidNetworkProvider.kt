package dev.modicum.android

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import android.telephony.TelephonyManager
import dev.modicum.ffi.NetworkProvider
import dev.modicum.ffi.NetworkState
import java.util.concurrent.Executor
import java.util.concurrent.RejectedExecutionException

/**
 * Follows the default network with a [ConnectivityManager.NetworkCallback] and keeps its state,
 * so [network] (which the core asks before each upload) is a field read rather than a binder
 * call. Needs `ACCESS_NETWORK_STATE`, which the library's manifest declares.
 *
 * Changes go to the listener given to [reportChangesTo], on the executor given with it: the
 * callback runs on a framework thread that must not wait on the FFI.
 *
 * If the callback cannot be registered (the permission was removed from the app's manifest),
 * the state reads as connected and metered: deletion requests and essential batches still go,
 * and data that may only go over unmetered networks waits — with `uploadOnlyUnmetered` (the
 * default) that is every other batch, so such an app uploads little until it restores the
 * permission.
 */
class AndroidNetworkProvider(
    context: Context,
) : NetworkProvider,
    AutoCloseable {
    private val appContext: Context = context.applicationContext ?: context
    private val connectivity = appContext.getSystemService(Context.CONNECTIVITY_SERVICE) as? ConnectivityManager

    @Volatile
    private var current: NetworkState = UNOBSERVABLE

    @Volatile
    private var listener: Pair<Executor, (NetworkState) -> Unit>? = null

    private val callback =
        object : ConnectivityManager.NetworkCallback() {
            override fun onCapabilitiesChanged(
                network: Network,
                capabilities: NetworkCapabilities,
            ) {
                update(stateOf(capabilities))
            }

            override fun onLost(network: Network) {
                update(DISCONNECTED)
            }
        }

    private val registered: Boolean =
        try {
            val manager = connectivity ?: error("no ConnectivityManager")
            current = manager.activeNetwork?.let(manager::getNetworkCapabilities)?.let(::stateOf) ?: DISCONNECTED
            manager.registerDefaultNetworkCallback(callback)
            true
        } catch (_: Exception) {
            current = UNOBSERVABLE
            false
        }

    override fun network(): NetworkState = current

    /** From now on, each change of state goes to [onChange], run on [executor]. */
    fun reportChangesTo(
        executor: Executor,
        onChange: (NetworkState) -> Unit,
    ) {
        listener = executor to onChange
    }

    private fun update(state: NetworkState) {
        if (state == current) return
        current = state
        val (executor, onChange) = listener ?: return
        try {
            executor.execute { onChange(state) }
        } catch (_: RejectedExecutionException) {
            // The listener's owner is closing; this callback thread must not throw.
        }
    }

    private fun stateOf(capabilities: NetworkCapabilities): NetworkState {
        val kind =
            when {
                capabilities.hasTransport(NetworkCapabilities.TRANSPORT_WIFI) -> "wifi"
                capabilities.hasTransport(NetworkCapabilities.TRANSPORT_CELLULAR) -> "cellular"
                capabilities.hasTransport(NetworkCapabilities.TRANSPORT_ETHERNET) -> "ethernet"
                else -> "other"
            }
        return NetworkState(
            connected = capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET),
            kind = kind,
            metered = !capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED),
            carrier = if (kind == "cellular") carrierName() else null,
            ip = null,
        )
    }

    /** The operator's display name; no permission needed. Absent on a device without telephony. */
    private fun carrierName(): String? =
        try {
            (appContext.getSystemService(Context.TELEPHONY_SERVICE) as? TelephonyManager)
                ?.networkOperatorName
                ?.takeIf { it.isNotBlank() }
        } catch (_: Exception) {
            null
        }

    override fun close() {
        listener = null
        if (registered) {
            try {
                connectivity?.unregisterNetworkCallback(callback)
            } catch (_: IllegalArgumentException) {
                // Already unregistered: nothing left to release.
            }
        }
    }

    private companion object {
        val DISCONNECTED = NetworkState(connected = false, kind = "none", metered = false, carrier = null, ip = null)
        val UNOBSERVABLE = NetworkState(connected = true, kind = "unknown", metered = true, carrier = null, ip = null)
    }
}
