package dev.modicum.android

import dev.modicum.Modicum

/**
 * The held events once [done] accepts them: for records made on Modicum's background threads,
 * which a test cannot join. Fails after [timeoutMillis] with what was held.
 */
internal fun awaitHeld(
    modicum: Modicum,
    timeoutMillis: Long = 5_000,
    done: (String) -> Boolean,
): String {
    val deadline = System.nanoTime() + timeoutMillis * 1_000_000
    while (true) {
        val held = modicum.heldEventsJsonBlocking()!!
        if (done(held)) return held
        if (System.nanoTime() > deadline) throw AssertionError("not held after $timeoutMillis ms: $held")
        Thread.sleep(20)
    }
}
