@file:JvmName("ModicumAndroid")

package dev.modicum

import android.app.Application
import android.content.Context
import dev.modicum.android.AndroidDeviceInfoProvider
import dev.modicum.android.AndroidNetworkProvider
import dev.modicum.android.BackgroundSeal
import dev.modicum.android.KeystoreSecretStore
import dev.modicum.android.ModicumCrashHandler
import dev.modicum.android.RunningModicum
import dev.modicum.android.SessionLifecycle
import dev.modicum.android.UploadScheduler
import dev.modicum.android.backgroundThread
import dev.modicum.ffi.ModicumCore
import dev.modicum.ffi.PlatformProviders

/**
 * Starts Modicum in an Android app (call it from `Application.onCreate`): the device and network
 * providers, secrets in the Android Keystore (unless [Config.secretStorage] says otherwise), the
 * crash handlers if [Config.installCrashHandler], and the upload job if [Config.endpoints] names
 * a collector (with a one-off job on any network after [Modicum.deleteAll], so the deletion
 * request does not wait for Wi-Fi). The instance is what [UploadJobService][dev.modicum.android.UploadJobService]
 * uses, until it is closed.
 *
 * Safe on the main thread: the core opens its storage on its own worker, and every later call
 * into the core made on the app's behalf (connectivity changes) runs on a background thread.
 * The one cost here is reading the install secret (a Keystore decryption).
 *
 * Never throws: a failure to start goes to [Config.onError] and returns null, so telemetry can
 * never stop the app from starting.
 */
fun Modicum.Companion.start(
    context: Context,
    config: Config,
): Modicum? {
    val app = context.applicationContext ?: context
    var network: AndroidNetworkProvider? = null
    return try {
        val connection = AndroidNetworkProvider(app).also { network = it }
        val secrets =
            when (val storage = config.secretStorage) {
                SecretStorage.Platform -> KeystoreSecretStore(app)
                SecretStorage.Files -> null
                is SecretStorage.Custom -> storage.store
            }
        val providers =
            PlatformProviders(
                device = AndroidDeviceInfoProvider(app) { connection.network().kind },
                network = connection,
                secrets = secrets,
            )
        val coreConfig =
            config.toCoreConfig().copy(
                crashHandlers = installsNativeCrashHandler(config),
                appVersion = config.appVersion ?: packageVersion(app),
            )
        val modicum = Modicum(ModicumCore.startWith(coreConfig, providers), config)
        modicum.attach(connection)
        network = null // the instance owns it now
        try {
            attachPlatform(modicum, app, connection)
        } catch (e: Exception) {
            modicum.close()
            throw e
        }
        modicum
    } catch (e: Exception) {
        network?.close()
        config.onError(e)
        null
    }
}

/** What an Android start adds to a running instance; each part is released by its close. */
private fun attachPlatform(
    modicum: Modicum,
    app: Context,
    network: AndroidNetworkProvider,
) {
    val config = modicum.config
    connectivityEvents(modicum, network)
    if (config.installCrashHandler) modicum.attach(ModicumCrashHandler.install(modicum))
    if (config.endpoints.isNotEmpty()) {
        if (!UploadScheduler.schedule(app, config.uploadOnlyUnmetered)) {
            config.onError(IllegalStateException("JobScheduler refused the upload job"))
        }
        modicum.afterDeleteAll {
            if (!UploadScheduler.scheduleDeletion(app)) {
                config.onError(IllegalStateException("JobScheduler refused the deletion job"))
            }
        }
    }
    if (config.sealOnBackground && app is Application) {
        val thread = backgroundThread("modicum-lifecycle")
        val callbacks = BackgroundSeal(modicum, app, thread)
        app.registerActivityLifecycleCallbacks(callbacks)
        modicum.attach {
            app.unregisterActivityLifecycleCallbacks(callbacks)
            thread.shutdown()
        }
    }
    if (config.tracksSessions && app is Application) {
        val sessions = SessionLifecycle(modicum)
        app.registerActivityLifecycleCallbacks(sessions)
        modicum.attach { app.unregisterActivityLifecycleCallbacks(sessions) }
    }
    RunningModicum.set(modicum)
    modicum.attach { RunningModicum.clear(modicum) }
}

/** Records each change of the default network as a connectivity event, off the callback's thread. */
private fun connectivityEvents(
    modicum: Modicum,
    network: AndroidNetworkProvider,
) {
    val thread = backgroundThread("modicum-network")
    modicum.attach { thread.shutdown() }
    network.reportChangesTo(thread) { state ->
        try {
            modicum.core.recordConnectivity(state)
        } catch (e: Exception) {
            modicum.config.onError(e)
        }
    }
}

/**
 * Whether the core's native signal handler goes in. On Android's runtime, sigchain gives the
 * runtime's own fault handling (implicit null checks, stack overflow) the first look at a
 * signal, so only real crashes reach the core. A desktop JVM (Robolectric) also uses SIGSEGV
 * for its own purposes, without that chaining, so there the handler stays out.
 */
internal fun installsNativeCrashHandler(
    config: Config,
    vmName: String? = System.getProperty("java.vm.name"),
) = config.installCrashHandler && vmName == "Dalvik"

/**
 * The package's `versionName`, what release health counts sessions under, reduced to what the
 * core accepts as a version (ASCII letters, digits, spaces and `._-+()`, at most 64); null if
 * nothing is left.
 */
internal fun packageVersion(app: Context): String? {
    // A process runs one version of its package: asked once, then remembered, so a later
    // start on the main thread makes no call to the package manager.
    packageVersionCache?.let { (name, version) -> if (name == app.packageName) return version }
    val version =
        try {
            versionForCore(app.packageManager.getPackageInfo(app.packageName, 0).versionName)
        } catch (e: android.content.pm.PackageManager.NameNotFoundException) {
            null
        }
    packageVersionCache = app.packageName to version
    return version
}

@Volatile
private var packageVersionCache: Pair<String, String?>? = null

internal fun versionForCore(name: String?): String? =
    name
        ?.filter { (it < '\u0080' && it.isLetterOrDigit()) || it in "._-+ ()" }
        ?.trim()
        ?.take(64)
        ?.ifEmpty { null }
