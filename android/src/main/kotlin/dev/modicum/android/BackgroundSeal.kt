package dev.modicum.android

import android.app.Application
import dev.modicum.Modicum
import java.util.concurrent.ExecutorService

/**
 * When the app goes to the background (see [ForegroundCallbacks]), what it recorded is handed
 * over, sealed into batches and an upload job is scheduled, on a background thread, never the
 * main one.
 */
internal class BackgroundSeal(
    private val modicum: Modicum,
    private val app: Application,
    private val thread: ExecutorService,
) : ForegroundCallbacks() {
    override fun background() {
        thread.execute {
            modicum.sealNowBlocking()
            if (modicum.config.endpoints.isNotEmpty() &&
                !UploadScheduler.scheduleSoon(app, modicum.config.uploadOnlyUnmetered)
            ) {
                modicum.config.onError(IllegalStateException("JobScheduler refused the upload job"))
            }
        }
    }
}
