package dev.modicum.android

import android.app.Activity
import android.app.Application
import android.os.Bundle
import dev.modicum.Modicum
import java.util.concurrent.ExecutorService

/**
 * Follows the app's activities (no androidx needed): when the last started one stops, the app
 * has gone to the background, and what it recorded is handed over, sealed into batches and an
 * upload job is scheduled, on a background thread, never the main one. A configuration change
 * (rotation) stops and restarts an activity without the app leaving: that is not a trip to the
 * background.
 */
internal class BackgroundSeal(
    private val modicum: Modicum,
    private val app: Application,
    private val thread: ExecutorService,
) : Application.ActivityLifecycleCallbacks {
    /** Activities started and not yet stopped; touched on the main thread only. */
    private var started = 0

    override fun onActivityStarted(activity: Activity) {
        started++
    }

    override fun onActivityStopped(activity: Activity) {
        started = (started - 1).coerceAtLeast(0)
        if (started > 0 || activity.isChangingConfigurations) return
        thread.execute {
            modicum.sealNowBlocking()
            if (modicum.config.endpoints.isNotEmpty() &&
                !UploadScheduler.scheduleSoon(app, modicum.config.uploadOnlyUnmetered)
            ) {
                modicum.config.onError(IllegalStateException("JobScheduler refused the upload job"))
            }
        }
    }

    override fun onActivityCreated(
        activity: Activity,
        savedInstanceState: Bundle?,
    ) = Unit

    override fun onActivityResumed(activity: Activity) = Unit

    override fun onActivityPaused(activity: Activity) = Unit

    override fun onActivitySaveInstanceState(
        activity: Activity,
        outState: Bundle,
    ) = Unit

    override fun onActivityDestroyed(activity: Activity) = Unit
}
