package dev.modicum.android

import android.app.Application
import android.os.Looper
import dev.modicum.Config
import dev.modicum.ConsentCategory
import dev.modicum.Modicum
import dev.modicum.SecretStorage
import dev.modicum.ffi.AgeBand
import dev.modicum.ffi.Endpoint
import dev.modicum.ffi.SecretStore
import dev.modicum.ffi.UploadConditions
import dev.modicum.ffi.UploadOutcome
import dev.modicum.ffi.Uploader
import dev.modicum.start
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.joinAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import java.io.File
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import org.robolectric.annotation.Config as RobolectricConfig

/**
 * Nothing the main thread may call waits for Modicum's worker. The worker is held at start by a
 * key store that does not answer (as a Keystore can stall after boot), and every main-thread
 * call, and the launch of every suspend call, still returns within 5 ms on Robolectric's main
 * looper. Each is timed three times and the fastest counts, so a garbage collection in the
 * test's JVM cannot fail it; a call that waited for the worker would take the whole stall
 * every time.
 */
@RunWith(RobolectricTestRunner::class)
@RobolectricConfig(sdk = [34])
class MainThreadTest {
    private val app: Application = RuntimeEnvironment.getApplication()

    /** Holds every load until [release]; keeps secrets in memory. */
    private class StalledSecretStore : SecretStore {
        val released = CountDownLatch(1)
        private val secrets = ConcurrentHashMap<String, ByteArray>()

        override fun load(name: String): ByteArray? {
            released.await(30, TimeUnit.SECONDS)
            return secrets[name]
        }

        override fun save(
            name: String,
            secret: ByteArray,
        ) {
            secrets[name] = secret
        }

        override fun delete(name: String) {
            secrets.remove(name)
        }
    }

    private fun config(
        dir: String,
        store: SecretStore,
    ) = Config(
        storageDir = File(app.filesDir, dir),
        appId = "dev.modicum.main",
        secretStorage = SecretStorage.Custom(store),
        collectorPublicKey = ByteArray(32) { 9 },
        endpoints = listOf(Endpoint(region = "cn", url = "http://127.0.0.1:9")),
    )

    /** The fastest of three runs of [call], in milliseconds. */
    private fun fastestMillis(call: () -> Unit): Double =
        (1..3).minOf {
            val started = System.nanoTime()
            call()
            (System.nanoTime() - started) / 1e6
        }

    private val nowhere =
        object : Uploader {
            override fun upload(request: dev.modicum.ffi.UploadRequest) = UploadOutcome.NetworkError("not in this test")
        }

    /** Every call once, on a worker that is not held, so class loading is not what is timed. */
    private fun warmUp() {
        val store = StalledSecretStore().also { it.released.countDown() }
        val modicum = Modicum.start(app, config("warm", store))!!
        exercise(modicum, CoroutineScope(Dispatchers.Unconfined))
        runBlocking { modicum.flush() }
        modicum.close()
    }

    /** The calls the main thread may make, each with its name; suspend calls are launched. */
    private fun exercise(
        modicum: Modicum,
        scope: CoroutineScope,
        jobs: MutableList<Job> = mutableListOf(),
    ): Map<String, () -> Unit> {
        val calls =
            linkedMapOf<String, () -> Unit>(
                "record" to { modicum.record("tap", mapOf("screen" to "main")) },
                "setConsent" to { modicum.setConsent(ConsentCategory.ANALYTICS, true) },
                "setConsent(name)" to { modicum.setConsent("diagnostics", true) },
                "agreeToVersion" to { modicum.agreeToVersion(2) },
                "setAge" to { modicum.setAge(AgeBand.ADULT) },
                "permittedCategories" to { modicum.permittedCategories },
                "recentTracesJson" to { modicum.recentTracesJson() },
                "droppedForFullBuffer" to { modicum.droppedForFullBuffer },
                "launch flush" to { jobs += scope.launch { modicum.flush() } },
                "launch sealNow" to { jobs += scope.launch { modicum.sealNow() } },
                "launch export" to { jobs += scope.launch { modicum.export() } },
                "launch heldEventsJson" to { jobs += scope.launch { modicum.heldEventsJson() } },
                "launch ledgerJson" to { jobs += scope.launch { modicum.ledgerJson() } },
                "launch pendingBatches" to { jobs += scope.launch { modicum.pendingBatches() } },
                "launch resetIdentifiers" to { jobs += scope.launch { modicum.resetIdentifiers() } },
                "launch uploadPending" to {
                    jobs += scope.launch { modicum.uploadPending(UploadConditions(true, false, false), nowhere) }
                },
                "launch deleteAll" to { jobs += scope.launch { modicum.deleteAll() } },
            )
        calls.values.forEach { it() }
        return calls
    }

    @Test
    fun everyMainThreadCallReturnsWithin5msWhileTheWorkerIsStalled() {
        assertTrue("the test runs on the main looper", Looper.getMainLooper().isCurrentThread)
        warmUp()
        // Three instances, each on its own storage and held store, so start is timed three
        // times too; the last is the one exercised.
        val stores = List(3) { StalledSecretStore() }
        val instances = mutableListOf<Modicum>()
        val startMillis =
            stores.withIndex().minOf { (i, store) ->
                val started = System.nanoTime()
                instances += Modicum.start(app, config("held-$i", store))!!
                (System.nanoTime() - started) / 1e6
            }
        val store = stores.last()
        val running = instances.last()
        try {
            val timings = mutableMapOf("start" to startMillis)
            val jobs = mutableListOf<Job>()
            val scope = CoroutineScope(Dispatchers.Unconfined)
            val saving = running.setConsent(ConsentCategory.ANALYTICS, false)
            for ((name, call) in exercise(running, scope, jobs)) {
                timings[name] = fastestMillis(call)
            }
            assertFalse("nothing was saved while the worker was held", saving.isSaved)
            assertTrue("nothing that waits finished", jobs.none { it.isCompleted })
            val slow = timings.filterValues { it > 5.0 }
            assertTrue("slower than 5 ms with the worker stalled: $slow (all: $timings)", slow.isEmpty())

            // Released, the worker catches up: the change is saved and every call completes
            // (the last one launched erases, which resets consent).
            store.released.countDown()
            runBlocking {
                assertTrue("the change is saved", saving.await())
                withTimeout(30_000) { jobs.joinAll() }
            }
            assertEquals(emptySet<ConsentCategory>(), running.permittedCategories)
        } finally {
            stores.forEach { it.released.countDown() }
            instances.forEach { it.close() }
        }
    }
}
