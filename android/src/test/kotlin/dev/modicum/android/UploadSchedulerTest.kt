package dev.modicum.android

import android.app.Activity
import android.app.Application
import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context
import android.content.res.Configuration
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import dev.modicum.ConsentCategory
import dev.modicum.ffi.Endpoint
import dev.modicum.ffi.UploadConditions
import dev.modicum.ffi.UploadOutcome
import dev.modicum.ffi.UploadRequest
import dev.modicum.ffi.Uploader
import dev.modicum.ffi.WaitReason
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowNetworkCapabilities
import java.util.Collections

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class UploadSchedulerTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val scheduler = app.getSystemService(Context.JOB_SCHEDULER_SERVICE) as JobScheduler

    private fun pending(): JobInfo? = scheduler.getPendingJob(UploadScheduler.DEFAULT_JOB_ID)

    private fun pendingDeletion(): JobInfo? = scheduler.getPendingJob(UploadScheduler.DEFAULT_DELETION_JOB_ID)

    /** Makes the shadowed default network Wi-Fi or cellular, as the core's provider reads it. */
    private fun network(metered: Boolean) {
        val connectivity = app.getSystemService(Context.CONNECTIVITY_SERVICE) as ConnectivityManager
        val capabilities =
            ShadowNetworkCapabilities.newInstance().also {
                val transport = if (metered) NetworkCapabilities.TRANSPORT_CELLULAR else NetworkCapabilities.TRANSPORT_WIFI
                shadowOf(it).addTransportType(transport)
                shadowOf(it).addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
                if (!metered) shadowOf(it).addCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED)
            }
        shadowOf(connectivity).setNetworkCapabilities(connectivity.activeNetwork, capabilities)
    }

    /** An uploader that accepts everything and keeps what it was asked to send. */
    private class Accepting : Uploader {
        val sent: MutableList<UploadRequest> = Collections.synchronizedList(mutableListOf())

        override fun upload(request: UploadRequest): UploadOutcome {
            sent.add(request)
            return UploadOutcome.Response(200u, null)
        }
    }

    /** Both jobs run the upload service, survive a reboot and back off exponentially. */
    private fun assertIsTheUploadService(job: JobInfo) {
        assertEquals(ComponentName(app, UploadJobService::class.java), job.service)
        assertTrue(job.isPersisted)
        assertEquals(JobInfo.BACKOFF_POLICY_EXPONENTIAL, job.backoffPolicy)
        assertEquals(UploadScheduler.DEFAULT_BACKOFF_MILLIS, job.initialBackoffMillis)
    }

    private fun collectorConfig(modicum: TestModicum) =
        modicum.config(
            collectorPublicKey = ByteArray(32) { 9 },
            endpoints = listOf(Endpoint(region = "eu", url = "http://127.0.0.1:9")),
        )

    @Test
    fun schedulesAPersistedPeriodicJobOnUnmeteredNetworksByDefault() {
        assertTrue(UploadScheduler.schedule(app))
        val job = pending()!!
        assertIsTheUploadService(job)
        assertEquals(JobInfo.NETWORK_TYPE_UNMETERED, job.networkType)
        assertTrue(job.isPeriodic)
        assertEquals(UploadScheduler.DEFAULT_PERIOD_MILLIS, job.intervalMillis)
    }

    @Test
    fun anyNetworkWhenTheAppAllowsMeteredUploads() {
        UploadScheduler.schedule(app)
        UploadScheduler.schedule(app, onlyUnmetered = false)
        assertEquals(JobInfo.NETWORK_TYPE_ANY, pending()!!.networkType)
        UploadScheduler.cancel(app)
        assertNull(pending())
    }

    @Test
    fun startSchedulesTheJobOnlyWhenACollectorIsConfigured() {
        val modicum = TestModicum(app)
        modicum.start().use { assertNull("no endpoint, no job", pending()) }
        val withCollector =
            modicum.config(
                endpoints = listOf(Endpoint(region = "eu", url = "http://127.0.0.1:9")),
                uploadOnlyUnmetered = false,
            )
        modicum.start(withCollector).use { assertEquals(JobInfo.NETWORK_TYPE_ANY, pending()!!.networkType) }
    }

    @Test
    fun aJobRunUploadsThroughTheUploaderUnderTheCoresConditions() {
        val accepting = Accepting()
        network(metered = false)
        val modicum = TestModicum(app)
        modicum.start(collectorConfig(modicum)).use { running ->
            running.setConsent(ConsentCategory.ANALYTICS, true)
            repeat(3) { running.record("tap") }
            running.flushBlocking()

            val reschedule = UploadRun(running, accepting).run()
            assertEquals(emptyList<Throwable>(), modicum.errors)
            assertFalse("nothing left waiting: no reschedule (${running.core.currentConditions()})", reschedule)
            assertEquals(1, accepting.sent.size)
            assertTrue(accepting.sent[0].url.startsWith("http://127.0.0.1:9/"))
            assertEquals(0, running.pendingBatchesBlocking())
        }
    }

    @Test
    fun aDeletionIsAOneOffJobOnAnyNetwork() {
        assertTrue(UploadScheduler.scheduleDeletion(app))
        val job = pendingDeletion()!!
        assertIsTheUploadService(job)
        assertEquals(JobInfo.NETWORK_TYPE_ANY, job.networkType)
        assertFalse(job.isPeriodic)
    }

    @Test
    fun deleteAllSchedulesTheDeletionJobBesideTheUnmeteredOne() {
        val modicum = TestModicum(app)
        modicum.start(collectorConfig(modicum)).use { running ->
            assertNull(pendingDeletion())
            running.deleteAllBlocking()
            assertEquals(JobInfo.NETWORK_TYPE_ANY, pendingDeletion()!!.networkType)
            assertEquals(JobInfo.NETWORK_TYPE_UNMETERED, pending()!!.networkType)
        }
        assertEquals(emptyList<Throwable>(), modicum.errors)
    }

    @Test
    fun onAMeteredNetworkARunSendsTheDeletionRequestAndHoldsTheBatches() {
        val accepting = Accepting()
        network(metered = true)
        val modicum = TestModicum(app)
        modicum.start(collectorConfig(modicum)).use { running ->
            // Data reached the collector once (on Wi-Fi), so the erasure owes it a deletion request.
            running.setConsent(ConsentCategory.ANALYTICS, true)
            running.record("before")
            val wifi = UploadConditions(connected = true, metered = false, batteryLow = false)
            assertEquals(1uL, running.uploadPendingBlocking(wifi, accepting).deliveredEvents)
            running.deleteAllBlocking()
            running.setConsent(ConsentCategory.ANALYTICS, true)
            running.record("tap")
            running.sealNowBlocking()
            assertEquals(1, running.pendingBatchesBlocking())
            accepting.sent.clear()

            val reschedule = UploadRun(running, accepting).run()
            assertEquals(emptyList<Throwable>(), modicum.errors)
            assertEquals(listOf("http://127.0.0.1:9/v1/deletions"), accepting.sent.map { it.url })
            assertEquals("the batch waits for Wi-Fi", 1, running.pendingBatchesBlocking())
            assertFalse("held for an unmetered network: the periodic job's constraint waits, not a backoff", reschedule)
        }
    }

    @Test
    fun uploadPendingWithoutConditionsReadsTheNetworkTheProvidersReport() {
        val accepting = Accepting()
        network(metered = true)
        val modicum = TestModicum(app)
        modicum.start(collectorConfig(modicum)).use { running ->
            running.setConsent(ConsentCategory.ANALYTICS, true)
            running.record("tap")
            running.sealNowBlocking()
            val report = running.uploadPendingBlocking(uploader = accepting)
            assertEquals("held for Wi-Fi, not sent as if the network were ideal", WaitReason.UNMETERED, report.waiting)
            assertEquals(emptyList<String>(), accepting.sent.map { it.url })
            assertEquals(1, running.pendingBatchesBlocking())
        }
        assertEquals(emptyList<Throwable>(), modicum.errors)
    }

    /** Waits (off the main looper's work) for [done], for at most two seconds. */
    private fun eventually(done: () -> Boolean): Boolean {
        val deadline = System.nanoTime() + 2_000_000_000L
        while (!done() && System.nanoTime() < deadline) Thread.sleep(10)
        return done()
    }

    @Test
    fun goingToTheBackgroundSealsWhatWasRecordedAndSchedulesAnUpload() {
        val modicum = TestModicum(app)
        modicum.start(collectorConfig(modicum)).use { running ->
            running.setConsent(ConsentCategory.ANALYTICS, true)
            val activity = Robolectric.buildActivity(Activity::class.java).setup()
            running.record("tap")
            // A rotation stops and restarts the activity without the app leaving.
            activity.configurationChange(
                Configuration(app.resources.configuration).apply {
                    orientation =
                        Configuration.ORIENTATION_LANDSCAPE
                },
            )
            assertFalse("a rotation seals nothing", eventually { running.pendingBatchesBlocking() > 0 })
            assertNull(scheduler.getPendingJob(UploadScheduler.DEFAULT_SOON_JOB_ID))

            activity.pause().stop()
            assertTrue("sealed in the background", eventually { running.pendingBatchesBlocking() == 1 })
            assertTrue("an upload job is scheduled", eventually { scheduler.getPendingJob(UploadScheduler.DEFAULT_SOON_JOB_ID) != null })
            val soon = scheduler.getPendingJob(UploadScheduler.DEFAULT_SOON_JOB_ID)!!
            assertFalse(soon.isPeriodic)
            assertEquals(JobInfo.NETWORK_TYPE_UNMETERED, soon.networkType)
        }
        assertEquals(emptyList<Throwable>(), modicum.errors)
    }
}
