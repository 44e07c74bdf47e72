package dev.modicum.sample

import android.app.Application
import android.util.Log
import dev.modicum.Config
import dev.modicum.Modicum
import dev.modicum.ffi.Endpoint
import dev.modicum.start
import java.io.File
import java.io.IOException

/** Starts Modicum once per process, before any activity: the upload job finds it here too. */
class SampleApplication : Application() {
    /** Null if telemetry could not start; the app works the same without it. */
    var modicum: Modicum? = null
        private set

    override fun onCreate() {
        super.onCreate()
        val collectorKey = collectorPublicKey()
        modicum =
            Modicum.start(
                this,
                Config(
                    storageDir = File(filesDir, "modicum"),
                    appId = packageName,
                    collectorPublicKey = collectorKey,
                    // `modicum serve --addr 0.0.0.0:8080` on the machine running the emulator.
                    endpoints = if (collectorKey == null) emptyList() else listOf(Endpoint(region = "eu", url = "http://10.0.2.2:8080")),
                    onError = { Log.w("Modicum", "telemetry", it) },
                ),
            )
    }

    /**
     * The collector's public key: `collector.pub` from `modicum keygen`, copied into the
     * sample's assets. Without it events stay in the encrypted journal and nothing uploads.
     */
    private fun collectorPublicKey(): ByteArray? =
        try {
            assets
                .open("collector.pub")
                .bufferedReader()
                .use { it.readText() }
                .trim()
                .chunked(2)
                .map { it.toInt(16).toByte() }
                .toByteArray()
        } catch (_: IOException) {
            null
        }
}
