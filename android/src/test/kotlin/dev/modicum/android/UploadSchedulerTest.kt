package dev.modicum.android

import android.app.Application
import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import dev.modicum.ConsentCategory
import dev.modicum.ffi.Endpoint
import dev.modicum.ffi.UploadOutcome
import dev.modicum.ffi.UploadRequest
import dev.modicum.ffi.Uploader
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
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

    @Test
    fun schedulesAPersistedPeriodicJobOnUnmeteredNetworksByDefault() {
        assertTrue(UploadScheduler.schedule(app))
        val job = pending()!!
        assertEquals(ComponentName(app, UploadJobService::class.java), job.service)
        assertEquals(JobInfo.NETWORK_TYPE_UNMETERED, job.networkType)
        assertTrue(job.isPersisted)
        assertTrue(job.isPeriodic)
        assertEquals(UploadScheduler.DEFAULT_PERIOD_MILLIS, job.intervalMillis)
        assertEquals(JobInfo.BACKOFF_POLICY_EXPONENTIAL, job.backoffPolicy)
        assertEquals(UploadScheduler.DEFAULT_BACKOFF_MILLIS, job.initialBackoffMillis)
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
        val withCollector = modicum.config().copy(
            endpoints = listOf(Endpoint(region = "eu", url = "http://127.0.0.1:9")),
            uploadOnlyUnmetered = false,
        )
        modicum.start(withCollector).use { assertEquals(JobInfo.NETWORK_TYPE_ANY, pending()!!.networkType) }
    }

    @Test
    fun aJobRunUploadsThroughTheUploaderUnderTheCoresConditions() {
        val sent = Collections.synchronizedList(mutableListOf<UploadRequest>())
        val accepting = object : Uploader {
            override fun upload(request: UploadRequest): UploadOutcome {
                sent.add(request)
                return UploadOutcome.Response(200u, null)
            }
        }
        val connectivity = app.getSystemService(Context.CONNECTIVITY_SERVICE) as ConnectivityManager
        val wifi = ShadowNetworkCapabilities.newInstance().also {
            shadowOf(it).addTransportType(NetworkCapabilities.TRANSPORT_WIFI)
            shadowOf(it).addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
            shadowOf(it).addCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED)
        }
        shadowOf(connectivity).setNetworkCapabilities(connectivity.activeNetwork, wifi)
        val modicum = TestModicum(app)
        val config = modicum.config().copy(
            collectorPublicKey = ByteArray(32) { 9 },
            endpoints = listOf(Endpoint(region = "eu", url = "http://127.0.0.1:9")),
        )
        modicum.start(config).use { running ->
            running.setConsent(ConsentCategory.ANALYTICS, true)
            repeat(3) { running.record("tap") }
            running.flush()

            val reschedule = UploadRun(running, accepting).run()
            assertEquals(emptyList<Throwable>(), modicum.errors)
            assertFalse("nothing left waiting: no reschedule (${running.core.currentConditions()})", reschedule)
            assertEquals(1, sent.size)
            assertTrue(sent[0].url.startsWith("http://127.0.0.1:9/"))
            assertEquals(0, running.pendingBatches)
        }
    }
}
