package dev.modicum

import androidx.annotation.AnyThread
import androidx.annotation.WorkerThread
import dev.modicum.ffi.Durability
import dev.modicum.ffi.ModicumException
import dev.modicum.ffi.SettledListener
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlin.coroutines.resume
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/**
 * A change of consent on its way to storage. The change applied when [Modicum.setConsent]
 * returned: `record` already follows it. Modicum's worker saves it next, in order; until then
 * a crash forgets it. Wait for it only where it matters that it outlives the process (before
 * telling the user "your data is deleted", say), and never on the main thread with
 * [awaitBlocking]: [await] suspends instead. A failure to save is also reported to
 * [Config.onError], whether anyone waits or not.
 */
class ConsentSaving internal constructor(
    private val handle: Durability,
) {
    /** True once the change is saved; false while it is not yet, or saving failed. */
    @get:AnyThread
    val isSaved: Boolean get() = handle.isSaved()

    /** Suspends until the change is saved (true) or saving failed (false); no thread waits. */
    suspend fun await(): Boolean =
        suspendCancellableCoroutine { continuation ->
            handle.onSettled(
                object : SettledListener {
                    override fun settled(failure: ModicumException?) {
                        continuation.resume(failure == null)
                    }
                },
            )
        }

    /** Blocks until the change is saved (true), saving failed or [timeout] passed (false). */
    @WorkerThread
    fun awaitBlocking(timeout: Duration = 10.seconds): Boolean =
        try {
            handle.wait(timeout.millisForCore())
            true
        } catch (_: ModicumException) {
            false
        }
}
