package dev.modicum.android

import dev.modicum.Modicum
import dev.modicum.ffi.CrashReport
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/**
 * Records an uncaught exception as a crash report, durable before it returns, then hands the
 * exception to the handler that was installed before (Android's, which shows the crash dialog
 * and kills the process, or another SDK's). It always chains, even when recording fails: a
 * telemetry library must never change what a crash does to the app.
 *
 * The report carries the exception's class, message and stack (the core scrubs the text and
 * keeps it only under diagnostics consent, or as essential processing if the app declares it)
 * and the thread's name.
 */
class ModicumCrashHandler internal constructor(
    private val record: (CrashReport) -> Unit,
    private val previous: Thread.UncaughtExceptionHandler?,
) : Thread.UncaughtExceptionHandler,
    AutoCloseable {
    /** A second crash while the first is being recorded goes straight to [previous]. */
    private val recording = AtomicBoolean(false)

    override fun uncaughtException(
        thread: Thread,
        throwable: Throwable,
    ) {
        try {
            if (recording.compareAndSet(false, true)) record(crashReport(thread, throwable))
        } catch (_: Throwable) {
            // Recording is best effort; the previous handler must run whatever happened here.
        } finally {
            chain(thread, throwable)
        }
    }

    private fun chain(
        thread: Thread,
        throwable: Throwable,
    ) {
        if (previous != null) {
            previous.uncaughtException(thread, throwable)
        } else {
            // What ThreadGroup does with no default handler (calling it would come back here).
            System.err.print("Exception in thread \"${thread.name}\" ")
            throwable.printStackTrace()
        }
    }

    /** Puts the previous handler back, if this one is still the default. */
    override fun close() {
        synchronized(ModicumCrashHandler::class.java) {
            if (Thread.getDefaultUncaughtExceptionHandler() === this) {
                Thread.setDefaultUncaughtExceptionHandler(previous)
            }
        }
    }

    companion object {
        /** How long a crash may wait for its report to become durable before the process dies. */
        val DEFAULT_TIMEOUT: Duration = 2.seconds

        /** Installs a handler recording into [modicum] in front of the current default handler. */
        @JvmStatic
        @JvmOverloads
        fun install(
            modicum: Modicum,
            timeout: Duration = DEFAULT_TIMEOUT,
        ): ModicumCrashHandler =
            synchronized(ModicumCrashHandler::class.java) {
                ModicumCrashHandler(
                    record = { report -> modicum.recordCrash(report, timeout) },
                    previous = Thread.getDefaultUncaughtExceptionHandler(),
                ).also { Thread.setDefaultUncaughtExceptionHandler(it) }
            }
    }
}

/** The most frames a report carries; deep recursion would otherwise fill it with one frame. */
private const val MAX_FRAMES = 256

/** The exception as the core takes it: frames of the whole cause chain, as `Throwable` prints them. */
internal fun crashReport(
    thread: Thread,
    throwable: Throwable,
    atMillis: Long = System.currentTimeMillis(),
): CrashReport {
    val frames = ArrayList<String>()
    var current: Throwable? = throwable
    val seen = HashSet<Throwable>()
    while (current != null && seen.add(current) && frames.size < MAX_FRAMES) {
        if (current !== throwable) frames.add("Caused by: ${current.javaClass.name}: ${current.message.orEmpty()}")
        current.stackTrace.forEach { if (frames.size < MAX_FRAMES) frames.add("at $it") }
        current = current.cause
    }
    return CrashReport(
        kind = throwable.javaClass.name,
        message = throwable.message.orEmpty(),
        frames = frames,
        thread = thread.name,
        atMs = atMillis.toULong(),
    )
}
