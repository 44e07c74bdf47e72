package dev.modicum.android

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context

/**
 * Schedules [UploadJobService] with JobScheduler: periodic, kept across reboots, on the network
 * the app allows (unmetered by default), and with exponential backoff when a run ends with
 * data a retry could send (not batches held for an unmetered network). The OS batches the job with other apps' work, which is what keeps the
 * radio and battery cost low; the core still decides, per batch, what may go now.
 */
object UploadScheduler {
    /** The job's id; an app whose own jobs use this id passes another to [schedule]. */
    const val DEFAULT_JOB_ID = 0x4D_44_43 // "MDC"

    /** The shortest period JobScheduler allows is 15 minutes. */
    const val DEFAULT_PERIOD_MILLIS = 60 * 60 * 1000L
    const val DEFAULT_BACKOFF_MILLIS = 60 * 1000L

    /**
     * The one-off job that sends a deletion request. `Modicum.start(context, config)` uses
     * the default ids; an app whose own jobs use them schedules with [schedule] and
     * [scheduleDeletion] itself, passing others.
     */
    const val DEFAULT_DELETION_JOB_ID = DEFAULT_JOB_ID + 1

    /** The one-off upload job scheduled when the app goes to the background. */
    const val DEFAULT_SOON_JOB_ID = DEFAULT_JOB_ID + 2

    /**
     * Schedules the upload job unless an identical one is already pending (rescheduling a
     * periodic job restarts its period, so a start on every launch would postpone it forever).
     * Returns false if JobScheduler refused it.
     */
    @JvmStatic
    @JvmOverloads
    fun schedule(
        context: Context,
        onlyUnmetered: Boolean = true,
        periodMillis: Long = DEFAULT_PERIOD_MILLIS,
        backoffMillis: Long = DEFAULT_BACKOFF_MILLIS,
        jobId: Int = DEFAULT_JOB_ID,
    ): Boolean {
        val scheduler = context.jobScheduler() ?: return false
        val job =
            uploadJob(context, jobId, backoffMillis)
                .setRequiredNetworkType(networkType(onlyUnmetered))
                .setPeriodic(periodMillis)
                .build()
        if (scheduler.getPendingJob(jobId)?.let { it.sameSchedule(job) } == true) return true
        return scheduler.schedule(job) == JobScheduler.RESULT_SUCCESS
    }

    /**
     * Schedules one run of [UploadJobService] on any network, persisted, with backoff: what
     * [dev.modicum.Modicum.deleteAll] asks for, so the deletion request leaves without waiting
     * for the periodic job or for Wi-Fi. The core still holds batches the app allows only on
     * unmetered networks. Returns false if JobScheduler refused it.
     */
    @JvmStatic
    @JvmOverloads
    fun scheduleDeletion(
        context: Context,
        backoffMillis: Long = DEFAULT_BACKOFF_MILLIS,
        jobId: Int = DEFAULT_DELETION_JOB_ID,
    ): Boolean = scheduleOnce(context, jobId, backoffMillis, JobInfo.NETWORK_TYPE_ANY)

    /**
     * Schedules one run of [UploadJobService] as soon as the network allows (unmetered only if
     * [onlyUnmetered]), persisted, with backoff: what going to the background asks for, so what
     * was just sealed leaves without waiting for the periodic job. Returns false if JobScheduler
     * refused it.
     */
    @JvmStatic
    @JvmOverloads
    fun scheduleSoon(
        context: Context,
        onlyUnmetered: Boolean = true,
        backoffMillis: Long = DEFAULT_BACKOFF_MILLIS,
        jobId: Int = DEFAULT_SOON_JOB_ID,
    ): Boolean = scheduleOnce(context, jobId, backoffMillis, networkType(onlyUnmetered))

    /** Cancels the upload job (the app stopped uploading, or the user deleted everything). */
    @JvmStatic
    @JvmOverloads
    fun cancel(
        context: Context,
        jobId: Int = DEFAULT_JOB_ID,
    ) {
        context.jobScheduler()?.cancel(jobId)
    }

    /** One run of the upload job, whenever [networkType] is available. */
    private fun scheduleOnce(
        context: Context,
        jobId: Int,
        backoffMillis: Long,
        networkType: Int,
    ): Boolean {
        val scheduler = context.jobScheduler() ?: return false
        val job = uploadJob(context, jobId, backoffMillis).setRequiredNetworkType(networkType).build()
        return scheduler.schedule(job) == JobScheduler.RESULT_SUCCESS
    }

    private fun networkType(onlyUnmetered: Boolean) = if (onlyUnmetered) JobInfo.NETWORK_TYPE_UNMETERED else JobInfo.NETWORK_TYPE_ANY

    /** What every job shares: the service, kept across reboots, exponential backoff. */
    private fun uploadJob(
        context: Context,
        jobId: Int,
        backoffMillis: Long,
    ) = JobInfo
        .Builder(jobId, ComponentName(context, UploadJobService::class.java))
        .setPersisted(true)
        .setBackoffCriteria(backoffMillis, JobInfo.BACKOFF_POLICY_EXPONENTIAL)

    private fun Context.jobScheduler() = getSystemService(Context.JOB_SCHEDULER_SERVICE) as? JobScheduler

    private fun JobInfo.sameSchedule(other: JobInfo) =
        service == other.service &&
            networkType == other.networkType &&
            isPersisted == other.isPersisted &&
            intervalMillis == other.intervalMillis &&
            initialBackoffMillis == other.initialBackoffMillis &&
            backoffPolicy == other.backoffPolicy
}
