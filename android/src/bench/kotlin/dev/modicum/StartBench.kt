package dev.modicum

import dev.modicum.ffi.Endpoint
import java.io.File
import java.nio.file.Files
import kotlin.time.Duration.Companion.seconds

/**
 * What `Modicum.start` costs its caller with 10,000 events pending from an earlier run: p50
 * and max over [RUNS] starts, each of a fresh instance on the same storage. The JVM form here;
 * [dev.modicum.android.StartOnMainLooperBench] times `Modicum.start(context, config)` on
 * Robolectric's main looper. Run with android/host/bench.sh.
 */
object StartBench {
    const val RUNS = 40
    const val PENDING = 10_000

    /** A collector and an endpoint, so start also schedules what an uploading app schedules. */
    fun config(dir: File) =
        Config(
            storageDir = dir,
            appId = "dev.modicum.bench",
            collectorPublicKey = ByteArray(32) { 7 },
            endpoints = listOf(Endpoint(region = "cn", url = "http://127.0.0.1:9")),
            secretStorage = SecretStorage.Files,
            installCrashHandler = false,
        )

    /** Records [PENDING] events and leaves them on disk, as a process that was killed would. */
    fun leavePending(dir: File) {
        Modicum.start(config(dir)).use { m ->
            m.setConsent(ConsentCategory.ANALYTICS, true)
            repeat(PENDING) { i -> m.record("screen_view", mapOf("screen" to "step-${i % 7}", "n" to i)) }
            check(m.flushBlocking(60.seconds)) { "flush did not finish" }
        }
    }

    /** Times [start] [RUNS] times; each instance finishes opening, then closes, before the next. */
    fun time(
        label: String,
        start: () -> Modicum,
    ) {
        val millis =
            DoubleArray(RUNS) {
                val began = System.nanoTime()
                val m = start()
                val took = (System.nanoTime() - began) / 1e6
                check(m.pendingBatchesBlocking() >= 0)
                m.close()
                took
            }.apply { sort() }
        println(
            "%-44s p50 %6.2f ms  max %6.2f ms  (%d starts, %d events pending)".format(
                label,
                millis[RUNS / 2],
                millis.last(),
                RUNS,
                PENDING,
            ),
        )
    }

    @JvmStatic
    fun main(args: Array<String>) {
        val dir = Files.createTempDirectory("modicum-start").toFile()
        try {
            leavePending(dir)
            time("Modicum.start(config), JVM") { Modicum.start(config(dir)) }
        } finally {
            dir.deleteRecursively()
        }
    }
}
