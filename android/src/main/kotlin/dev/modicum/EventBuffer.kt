package dev.modicum

import dev.modicum.ffi.CustomEvent
import dev.modicum.ffi.DataClass
import dev.modicum.ffi.DropReason
import dev.modicum.ffi.ModicumCore
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicLong
import java.util.concurrent.locks.LockSupport

/**
 * An event as the app handed it over; converted off the app's thread. [consentEpoch] is the
 * core's count of withdrawals when the app recorded it: a withdrawal made while it waited here
 * holds for it, even if the category is granted again before it crosses.
 */
internal class PendingEvent(
    val name: String,
    val properties: Map<String, Any>,
    val classes: Map<String, DataClass>,
    val category: String?,
    val consentEpoch: ULong,
)

/**
 * Events wait here on the Kotlin side and cross into the core in bulk, on a thread of their
 * own: one call over JNA costs tens of microseconds whatever it carries, so crossing once per
 * event would cost the app's thread that much for every `record`.
 *
 * The drainer never polls: it sleeps until the first event of a burst arrives (or a bulk's
 * worth, or [close]), lingers [LINGER_NANOS] so the burst crosses in one call, drains, and
 * sleeps again. An idle app costs it no wake-ups at all.
 */
internal class EventBuffer(
    private val core: ModicumCore,
    private val capacity: Int,
    private val onError: (Throwable) -> Unit,
) {
    private val queue = ConcurrentLinkedQueue<PendingEvent>()
    private val size = AtomicInteger(0)
    private val lock = Any()

    /** Events dropped because the buffer was full. */
    val dropped = AtomicLong(0)

    /**
     * Events dropped on this side of the FFI, by category name and why, not yet reported to the
     * core's ledger: counted here with an atomic (the app's thread never crosses the FFI for a
     * drop) and handed over in bulk by the next [drain].
     */
    private val unreported = ConcurrentHashMap<Pair<String, DropReason>, AtomicLong>()

    @Volatile
    private var running = true

    private val drainer =
        Thread({
            while (running) {
                // No timer while empty: [offer] unparks on the first event. A permit given
                // between the check and the park makes the park return at once, so no wake-up
                // is lost; spurious returns just check again.
                while (running && size.get() == 0) LockSupport.park(this)
                if (!running) break
                if (size.get() < BULK) LockSupport.parkNanos(LINGER_NANOS)
                drain()
            }
        }, DRAINER_NAME).apply {
            isDaemon = true
            start()
        }

    /** Hands `event` over; false if the buffer is full (counted). Never blocks. */
    fun offer(event: PendingEvent): Boolean {
        if (size.get() >= capacity) {
            dropped.incrementAndGet()
            countDrop(event.category ?: DEFAULT_CATEGORY, DropReason.BUFFER_FULL)
            return false
        }
        queue.offer(event)
        // The first event wakes the drainer from its sleep; a bulk's worth cuts its linger short.
        val now = size.incrementAndGet()
        if (now == 1 || now == BULK) LockSupport.unpark(drainer)
        return true
    }

    /** Counts an event dropped before it reached the core; reported to the core's ledger by the next [drain]. */
    fun countDrop(
        category: String,
        reason: DropReason,
    ) {
        unreported.computeIfAbsent(category to reason) { AtomicLong() }.incrementAndGet()
    }

    /**
     * Moves everything buffered into the core now, and reports what was dropped on this side
     * to the core's ledger (the calls that read or flush come here first).
     */
    fun drain() {
        synchronized(lock) {
            while (true) {
                // One crossing per run of events recorded at the same consent epoch.
                val epoch = queue.peek()?.consentEpoch ?: break
                val batch = ArrayList<CustomEvent>(minOf(size.get(), MAX_BULK).coerceAtLeast(1))
                while (batch.size < MAX_BULK && queue.peek()?.consentEpoch == epoch) {
                    // The only taker (under the lock): the event peeked is the one polled.
                    val event = queue.poll() ?: break
                    size.decrementAndGet()
                    try {
                        batch.add(CustomEvent(event.name, event.category, event.properties.toPropertyValues(), event.classes))
                    } catch (e: IllegalArgumentException) {
                        countDrop(event.category ?: DEFAULT_CATEGORY, DropReason.INVALID)
                        onError(e)
                    }
                }
                if (batch.isEmpty()) continue
                try {
                    core.recordBatchAsOf(batch, epoch).rejected.forEach { onError(it.error) }
                } catch (e: Exception) {
                    onError(e)
                }
            }
            reportDrops()
        }
    }

    private fun reportDrops() {
        for ((key, count) in unreported) {
            val n = count.getAndSet(0)
            if (n == 0L) continue
            try {
                core.noteDropped(key.first, key.second, n.toULong())
            } catch (e: Exception) {
                onError(e)
            }
        }
    }

    fun close() {
        running = false
        LockSupport.unpark(drainer)
        drainer.join(1_000)
        drain()
    }

    internal companion object {
        const val DEFAULT_CATEGORY = "analytics"
        const val BULK = 256
        const val MAX_BULK = 2_048
        const val LINGER_NANOS = 5_000_000L

        /** The drainer thread's name, as the OS shows it too (tests find it by this name). */
        const val DRAINER_NAME = "modicum-drain"
    }
}
