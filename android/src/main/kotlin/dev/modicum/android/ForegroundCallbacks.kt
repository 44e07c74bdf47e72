package dev.modicum.android

import android.app.Activity
import android.app.Application
import android.os.Bundle

/**
 * The app's trips between foreground and background, from its activities (no androidx
 * needed): the first activity started brings it to the foreground, the last one stopped takes
 * it to the background. A configuration change (rotation) stops and restarts an activity
 * without the app leaving, so it is neither. Called on the main thread.
 */
internal abstract class ForegroundCallbacks : Application.ActivityLifecycleCallbacks {
    /** Activities started and not yet stopped; touched on the main thread only. */
    private var started = 0

    /** The app came to the foreground. */
    protected open fun foreground() = Unit

    /** The app went to the background. */
    protected abstract fun background()

    override fun onActivityStarted(activity: Activity) {
        if (started++ == 0) foreground()
    }

    override fun onActivityStopped(activity: Activity) {
        started = (started - 1).coerceAtLeast(0)
        if (started == 0 && !activity.isChangingConfigurations) background()
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
