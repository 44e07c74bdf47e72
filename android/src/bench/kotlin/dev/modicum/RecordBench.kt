package dev.modicum

import dev.modicum.ffi.CustomEvent
import java.io.File
import java.nio.file.Files
import kotlin.time.Duration.Companion.seconds

/**
 * `record()` from Kotlin on the JVM: the buffered facade against one FFI call per event, in the
 * same run. Prints percentiles of single calls (the clock's own cost subtracted) and sustained
 * rates through to the core. Run with android/host/bench.sh.
 */
object RecordBench {
    private const val EVENTS = 200_000
    private const val NAIVE_EVENTS = 20_000

    private fun percentile(
        sorted: LongArray,
        p: Double,
    ) = sorted[((sorted.size - 1) * p).toInt()]

    private fun props(i: Int) = mapOf("screen" to "step-${i % 7}", "load_ms" to i % 300, "ratio" to 0.25, "first" to (i % 2 == 0))

    private fun report(
        label: String,
        samples: LongArray,
        events: Int,
        seconds: Double,
    ) {
        samples.sort()
        println(
            "%-34s p50 %6d ns  p90 %6d ns  p99 %7d ns   %9.0f events/s".format(
                label,
                percentile(samples, 0.5),
                percentile(samples, 0.9),
                percentile(samples, 0.99),
                events / seconds,
            ),
        )
    }

    @JvmStatic
    fun main(args: Array<String>) {
        val dir = Files.createTempDirectory("modicum-bench").toFile()
        try {
            val clock =
                LongArray(100_000) {
                    val t = System.nanoTime()
                    System.nanoTime() - t
                }.apply { sort() }
            val overhead = percentile(clock, 0.5)
            println("clock overhead $overhead ns (subtracted)")
            val events = (0 until EVENTS).map { props(it) }

            Modicum.start(Config(storageDir = File(dir, "buffered"), appId = "dev.modicum.bench", bufferCapacity = EVENTS)).use { m ->
                m.setConsent(ConsentCategory.ANALYTICS, true)
                // Warm the JIT.
                repeat(20_000) { m.record("warmup", events[it]) }
                check(m.flushBlocking(60.seconds)) { "flush did not finish: the figures would be wrong" }
                val samples = LongArray(EVENTS)
                val started = System.nanoTime()
                for (i in 0 until EVENTS) {
                    val t = System.nanoTime()
                    m.record("screen_view", events[i])
                    samples[i] = (System.nanoTime() - t - overhead).coerceAtLeast(0)
                }
                check(m.flushBlocking(60.seconds)) { "flush did not finish: the figures would be wrong" }
                val seconds = (System.nanoTime() - started) / 1e9
                report("buffered facade record()", samples, EVENTS, seconds)
            }

            Modicum.start(Config(storageDir = File(dir, "naive"), appId = "dev.modicum.bench")).use { m ->
                m.setConsent(ConsentCategory.ANALYTICS, true)
                val core = m.core

                fun naive(i: Int) = core.recordEvent(CustomEvent("screen_view", null, events[i].toPropertyValues(), emptyMap()))
                repeat(5_000) { naive(it) }
                check(m.flushBlocking(60.seconds)) { "flush did not finish: the figures would be wrong" }
                val samples = LongArray(NAIVE_EVENTS)
                val started = System.nanoTime()
                for (i in 0 until NAIVE_EVENTS) {
                    val t = System.nanoTime()
                    naive(i)
                    samples[i] = (System.nanoTime() - t - overhead).coerceAtLeast(0)
                }
                check(m.flushBlocking(60.seconds)) { "flush did not finish: the figures would be wrong" }
                val seconds = (System.nanoTime() - started) / 1e9
                report("one FFI call per event (naive)", samples, NAIVE_EVENTS, seconds)
            }
        } finally {
            dir.deleteRecursively()
        }
    }
}
