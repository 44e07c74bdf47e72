package dev.modicum.android

import dev.modicum.Modicum

/**
 * Release health sessions: one per stay in the foreground (see [ForegroundCallbacks]). Both
 * calls only change counts in memory: nothing here waits on the main thread.
 */
internal class SessionLifecycle(
    private val modicum: Modicum,
) : ForegroundCallbacks() {
    override fun foreground() = modicum.enteredForeground()

    override fun background() = modicum.enteredBackground()
}
