package dev.modicum

import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import java.io.File
import java.nio.file.Files

/** The facade's buffer costs an idle app nothing: its drainer sleeps until there is work. */
class EventBufferTest {
    private lateinit var dir: File

    @Before
    fun makeDir() {
        dir = Files.createTempDirectory("modicum-buffer").toFile()
    }

    @After
    fun removeDir() {
        dir.deleteRecursively()
    }

    /** Voluntary context switches of every drainer thread in this process, by task id. */
    private fun drainerSwitches(): Map<String, Long> {
        val tasks = File("/proc/self/task").listFiles().orEmpty()
        return tasks
            .filter { File(it, "comm").readText().trim() == EventBuffer.DRAINER_NAME }
            .associate { task ->
                val line = File(task, "status").readLines().first { it.startsWith("voluntary_ctxt_switches:") }
                task.name to line.substringAfter(':').trim().toLong()
            }
    }

    @Test
    fun anIdleDrainerDoesNotWakeUpAndTheNextEventStillCrossesOnItsOwn() {
        val modicum = Modicum.start(Config(storageDir = File(dir, "store"), appId = "dev.modicum.test"))!!
        modicum.use {
            it.setConsent(ConsentCategory.ANALYTICS, true)
            repeat(1_000) { n -> it.record("burst", mapOf("n" to n)) }
            it.flushBlocking()
            Thread.sleep(100)

            val before = drainerSwitches()
            assertTrue("the drainer thread is visible to the OS by its name", before.isNotEmpty())
            Thread.sleep(2_000)
            val after = drainerSwitches()
            for ((task, switches) in before) {
                val woke = (after[task] ?: switches) - switches
                assertTrue("drainer $task woke $woke times in 2 s of idleness", woke <= 2)
            }

            // Asleep is not stuck: one event wakes it, and it crosses without a flush.
            val collected = { ledgerCollected(it) }
            val was = collected()
            it.record("after the pause")
            val deadline = System.nanoTime() + 2_000_000_000L
            while (collected() == was && System.nanoTime() < deadline) Thread.sleep(5)
            assertEquals("the event reached the core on the drainer's own", was + 1, collected())
        }
    }

    /** Events the core has counted as collected, read from the core directly (no drain first). */
    private fun ledgerCollected(modicum: Modicum): Long {
        val json = modicum.core.ledgerJson()
        return Regex("\"collected\":(\\d+)").findAll(json).sumOf { it.groupValues[1].toLong() }
    }
}
