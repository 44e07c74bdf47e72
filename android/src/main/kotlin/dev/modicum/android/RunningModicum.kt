package dev.modicum.android

import dev.modicum.Modicum

/**
 * The instance `Modicum.start(context, config)` started in this process, for what the OS starts
 * without the app's help ([UploadJobService]). Set by that start and cleared by that instance's
 * close; one per process, as a process has one set of app files.
 */
object RunningModicum {
    @Volatile
    private var instance: Modicum? = null

    /** The running instance, or null if the app has not started Modicum in this process. */
    @JvmStatic
    val current: Modicum? get() = instance

    internal fun set(modicum: Modicum) {
        instance = modicum
    }

    /** Clears the holder if it still holds [modicum] (a newer start may have replaced it). */
    internal fun clear(modicum: Modicum) {
        synchronized(this) {
            if (instance === modicum) instance = null
        }
    }
}
