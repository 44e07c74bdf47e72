package dev.modicum.android

import android.app.job.JobParameters
import android.app.job.JobService
import dev.modicum.HttpUploader
import dev.modicum.Modicum
import dev.modicum.ffi.Uploader
import dev.modicum.ffi.WaitReason
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/**
 * The job [UploadScheduler] schedules: uploads what waits through [HttpUploader] under the
 * conditions the core reads from its providers (network, battery), on a thread of its own
 * (JobScheduler calls `onStartJob` on the main thread). Declared in the library's manifest,
 * guarded by `BIND_JOB_SERVICE` so only the system can start it.
 */
class UploadJobService : JobService() {
    /** False (nothing to do) when the app did not start Modicum in this process. */
    override fun onStartJob(params: JobParameters): Boolean {
        val modicum = RunningModicum.current ?: return false
        Thread({ jobFinished(params, UploadRun(modicum).run()) }, "modicum-upload").start()
        return true
    }

    /**
     * The core cannot be interrupted mid-request; it stops at the end of its time budget, and
     * the outcome of a request cut short is retried by batch id, which the collector deduplicates.
     */
    override fun onStopJob(params: JobParameters): Boolean = true
}

/**
 * One upload run: everything waiting, under current conditions, for at most [budget]
 * of waiting between attempts. Returns whether the job should run again sooner (backoff)
 * because something still waits that a retry could send: not batches held for an unmetered
 * network, which the periodic job's own constraint waits for. Failures go to the app's
 * `onError`, never up.
 */
internal class UploadRun(
    private val modicum: Modicum,
    private val uploader: Uploader = HttpUploader(),
    private val budget: Duration = 30.seconds,
) {
    fun run(): Boolean =
        try {
            val report = modicum.uploadPendingBlocking(modicum.core.currentConditions(), uploader, budget)
            report.waiting != null && report.waiting != WaitReason.UNMETERED
        } catch (e: Exception) {
            modicum.config.onError(e)
            true
        }
}
