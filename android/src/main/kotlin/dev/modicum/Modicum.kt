package dev.modicum

import androidx.annotation.AnyThread
import androidx.annotation.WorkerThread
import dev.modicum.ffi.AgeBand
import dev.modicum.ffi.CrashReport
import dev.modicum.ffi.DataClass
import dev.modicum.ffi.DropReason
import dev.modicum.ffi.Durability
import dev.modicum.ffi.Endpoint
import dev.modicum.ffi.InternalException
import dev.modicum.ffi.ModicumConfig
import dev.modicum.ffi.ModicumCore
import dev.modicum.ffi.ModicumException
import dev.modicum.ffi.PlatformProviders
import dev.modicum.ffi.SecretStore
import dev.modicum.ffi.SessionCount
import dev.modicum.ffi.SettledListener
import dev.modicum.ffi.UploadConditions
import dev.modicum.ffi.UploadReport
import dev.modicum.ffi.Uploader
import dev.modicum.ffi.WaitReason
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/**
 * What [Modicum.start] needs: a directory private to the app, the app's id, and optionally
 * the app's own policy document (JSON, which `modicum policy json` makes from TOML; the
 * built-in policy otherwise) and how many days pseudonyms last before they rotate (30
 * otherwise).
 *
 * A plain class, not a data class: it holds the app's callback and a key's bytes, which have no
 * meaningful equality, and a field added later must not break callers' `copy` or
 * destructuring. Java callers get overloads for the parameters they leave out.
 */
class Config
    @JvmOverloads
    constructor(
        val storageDir: File,
        val appId: String,
        val policyDocument: String? = null,
        val pseudonymRotationDays: Int? = null,
        /** The collector's X25519 public key (32 bytes); without it nothing is sealed for upload. */
        val collectorPublicKey: ByteArray? = null,
        /** Collector base URLs by region; the first one's region is home unless [homeRegion] says. */
        val endpoints: List<Endpoint> = emptyList(),
        val homeRegion: String? = null,
        /** Events that may wait in memory for the core before `record` drops (and counts) them. */
        val bufferCapacity: Int = 10_000,
        /** Receives what goes wrong with telemetry (an invalid event, a failed upload): never thrown at the app. */
        val onError: (Throwable) -> Unit = {},
        /** Where the journal's key and the install secret live; see [SecretStorage]. */
        val secretStorage: SecretStorage = SecretStorage.Platform,
        /**
         * Android: record uncaught exceptions as crash reports, then hand them to the previous
         * handler. On Android's runtime the core also records fatal native signals and Rust
         * panics (a panic the app survived, turned into an exception, is still reported); those
         * two handlers stay for the life of the process, even after [Modicum.close].
         */
        val installCrashHandler: Boolean = true,
        /**
         * Batches wait for an unmetered network (Wi-Fi, Ethernet): the core holds them on a metered
         * one, and on Android the scheduled upload job runs only unmetered. Deletion requests and
         * essential batches (crash reports, when the policy declares essential processing) go on
         * any network.
         */
        val uploadOnlyUnmetered: Boolean = true,
        /**
         * Android: when the app goes to the background (its last activity stops), hand over
         * what was recorded, seal it and schedule an upload, on a background thread.
         */
        val sealOnBackground: Boolean = true,
        /**
         * The version release health counts sessions under; on Android, the package's
         * `versionName` when null.
         */
        val appVersion: String? = null,
        /**
         * Android: follow the app's activities to count sessions for release health (a session
         * is a stay in the foreground; counted only while `diagnostics` is permitted). Off, the
         * app may call [Modicum.enteredForeground] and [Modicum.enteredBackground] itself.
         */
        val tracksSessions: Boolean = true,
    ) {
        internal fun toCoreConfig() =
            ModicumConfig(
                storageDir = storageDir.path,
                appId = appId,
                policyDocument = policyDocument,
                pseudonymRotationDays = pseudonymRotationDays?.toUInt(),
                collectorPublicKey = collectorPublicKey,
                endpoints = endpoints,
                homeRegion = homeRegion,
                uploadOnlyUnmetered = uploadOnlyUnmetered,
                appVersion = appVersion,
            )
    }

/** Where Modicum keeps its two secrets: the journal's data key and the install secret. */
sealed interface SecretStorage {
    /** The platform's key store: the Android Keystore on Android; files on a plain JVM. */
    object Platform : SecretStorage

    /** Files in the storage directory, even on Android: weaker, for devices whose Keystore misbehaves. */
    object Files : SecretStorage

    /** The app's own store (a hardware module, a test double). */
    class Custom(
        val store: SecretStore,
    ) : SecretStorage
}

/**
 * The Kotlin face of Modicum. Errors in what the app passes are thrown as the typed
 * subclasses of [ModicumException] (for example [ModicumException.UnknownCategory]), and
 * [IllegalArgumentException] for a property of an unsupported type. Telemetry failures
 * (storage, the platform) are never thrown: they go to [Config.onError], and the call returns
 * what says it did not happen (false, null).
 *
 * Threads: what the main thread may call is marked [AnyThread] (`record`, the consent calls,
 * `permittedCategories`): none of it waits on a disk or on Modicum's worker. Every call that
 * must wait is a `suspend` function that runs on [Dispatchers.IO], with a `…Blocking` form
 * marked [WorkerThread] for Java and for threads that may wait.
 */
class Modicum internal constructor(
    internal val core: ModicumCore,
    internal val config: Config,
) : AutoCloseable {
    private val buffer = EventBuffer(core, config.bufferCapacity, config.onError)

    /** What the platform layer attached (providers, the crash handler): released first on [close]. */
    private val attachments = java.util.concurrent.CopyOnWriteArrayList<AutoCloseable>()

    /** What the platform layer does once everything is erased (schedule the deletion request). */
    private val afterDeleteAll = java.util.concurrent.CopyOnWriteArrayList<() -> Unit>()

    @Volatile
    private var permitted: Set<String> = core.permittedCategories().toSet()

    /**
     * The core's count of withdrawals, tagged on each buffered event. Written after [permitted]
     * and read before it, so a `record` that sees a new epoch sees the new permissions too.
     */
    @Volatile
    private var consentEpoch: ULong = core.consentEpoch()

    companion object {
        /** Starts Modicum; throws [ModicumException.StorageUnusable], [ModicumException.InvalidConfig] or [ModicumException.InvalidPolicy]. */
        @JvmStatic
        @Throws(ModicumException::class)
        fun start(config: Config): Modicum {
            // Without a custom store the core keeps its secrets in files (no Keystore on a JVM).
            val secrets = (config.secretStorage as? SecretStorage.Custom)?.store
            return Modicum(ModicumCore.startWith(config.toCoreConfig(), PlatformProviders(secrets = secrets)), config)
        }
    }

    /** Ties [resource] to this instance's life: closed (in reverse order) before the core stops. */
    internal fun attach(resource: AutoCloseable) {
        attachments.add(resource)
    }

    /** Runs [action] after each [deleteAll], failed or not; what it throws goes to [Config.onError]. */
    internal fun afterDeleteAll(action: () -> Unit) {
        afterDeleteAll.add(action)
    }

    /**
     * Records an uncaught exception and returns once it is durable. Events still buffered go
     * first, so what led up to the crash is not lost with the process.
     */
    internal fun recordCrash(
        report: CrashReport,
        timeout: Duration,
    ): Boolean {
        buffer.drain()
        return core.recordCrash(report, timeout.millisForCore())
    }

    /**
     * Records the user's decision for [category] without waiting: `record` follows it from
     * this call on, and withdrawing discards what is held for the category. Modicum saves it
     * next; the returned [ConsentSaving] says when (a failure also goes to [Config.onError]).
     * Throws only for what the app passed wrong ([ModicumException.EssentialIsDeclared]).
     */
    @AnyThread
    @Throws(ModicumException::class)
    fun setConsent(
        category: ConsentCategory,
        granted: Boolean,
    ): ConsentSaving = setConsent(category.wireName, granted)

    /**
     * As [setConsent], for a category named by a string (from a remote config, say); an
     * unknown name throws [ModicumException.UnknownCategory].
     */
    @AnyThread
    @Throws(ModicumException::class)
    fun setConsent(
        categoryName: String,
        granted: Boolean,
    ): ConsentSaving = consentChange { core.setConsent(categoryName, granted) }

    /** Records that the user agreed to [version] of the app's terms; saved as [setConsent] is. */
    @AnyThread
    @Throws(ModicumException::class)
    fun agreeToVersion(version: Int): ConsentSaving = consentChange { core.agreeToVersion(version.toUInt()) }

    /** Sets the user's age band and whether a guardian consented; saved as [setConsent] is. */
    @AnyThread
    @Throws(ModicumException::class)
    fun setAge(
        age: AgeBand,
        guardianConsent: Boolean = false,
    ): ConsentSaving = consentChange { core.setAge(age, guardianConsent) }

    /**
     * The consent categories processing is permitted for right now. Essential processing, which
     * the app declares rather than the user grants, is not one of them.
     */
    @get:AnyThread
    val permittedCategories: Set<ConsentCategory>
        get() = ConsentCategory.entries.filterTo(mutableSetOf()) { it.wireName in permitted }

    /**
     * Applies a change in memory (the core never waits there) and refreshes the caches `record`
     * reads. Events still in the app-side buffer reach the core after it, with the consent epoch
     * they were recorded at, so a withdrawal holds for them even after a new grant. A failure
     * to save goes to [Config.onError] from Modicum's worker.
     */
    private fun refreshConsent() {
        permitted = core.permittedCategories().toSet()
        consentEpoch = core.consentEpoch()
    }

    private fun consentChange(change: () -> Durability): ConsentSaving {
        val handle =
            try {
                change()
            } finally {
                refreshConsent()
            }
        handle.onSettled(
            object : SettledListener {
                override fun settled(failure: ModicumException?) {
                    if (failure != null) config.onError(failure)
                }
            },
        )
        return ConsentSaving(handle)
    }

    /**
     * Runs [action]. A telemetry failure (storage, the platform, a panic in the core) goes to
     * [Config.onError] and gives [fallback]; an error in what the app passed is still thrown.
     */
    private inline fun <T> reporting(
        fallback: T,
        action: () -> T,
    ): T =
        try {
            action()
        } catch (e: ModicumException) {
            if (!e.isTelemetryFailure) throw e
            config.onError(e)
            fallback
        } catch (e: InternalException) {
            config.onError(e)
            fallback
        }

    /**
     * Records a custom event without blocking and without throwing: safe on the main thread.
     * Returns true if it was taken, false if the user's consent does not allow it or the buffer
     * is full. Every call is counted in the core's ledger ([ledgerJson]): a drop here as
     * collected and dropped for consent or a full buffer, a property that cannot be converted
     * as collected and invalid. Property values may be Boolean, numbers, text, enums or
     * [Location]; [classes] declares a property's data class (text without one is scrubbed).
     * An invalid event is reported to [Config.onError] with its typed [ModicumException].
     */
    @AnyThread
    fun record(
        name: String,
        properties: Map<String, Any> = emptyMap(),
        classes: Map<String, DataClass> = emptyMap(),
        category: ConsentCategory? = null,
    ): Boolean {
        val wireName = category?.wireName ?: "analytics"
        val epoch = consentEpoch
        if (wireName !in permitted) {
            buffer.countDrop(wireName, DropReason.CONSENT)
            return false
        }
        return buffer.offer(PendingEvent(name, properties, classes, category?.wireName, epoch))
    }

    /** Events dropped because the Kotlin-side buffer was full. */
    val droppedForFullBuffer: Long get() = buffer.dropped.get()

    /**
     * The app came to the foreground: a release health session starts (counted only while
     * `diagnostics` is permitted). Never waits. On Android, [Config.tracksSessions] calls it.
     */
    @AnyThread
    fun enteredForeground() = reporting(Unit) { core.enteredForeground() }

    /** The app left the foreground: the session ends. Never waits. */
    @AnyThread
    fun enteredBackground() = reporting(Unit) { core.enteredBackground() }

    /** The session counts not yet reported, per app version and day: what the next daily reports say. */
    suspend fun sessionCounts(): List<SessionCount> = io { sessionCountsBlocking() }

    /** [sessionCounts] on the calling thread, which waits for the core's worker. */
    @WorkerThread
    fun sessionCountsBlocking(): List<SessionCount> = reporting(emptyList()) { core.sessionCounts() }

    /** The minimized events held on the device, as a JSON array: what would leave it; null if storage failed. */
    suspend fun heldEventsJson(): String? = io { heldEventsJsonBlocking() }

    /** [heldEventsJson] on the calling thread, which waits for the disk. */
    @WorkerThread
    fun heldEventsJsonBlocking(): String? =
        reporting(null) {
            buffer.drain()
            core.heldEventsJson()
        }

    /** Seals what was recorded into batches for upload now, rather than when a batch fills; false if storage failed. */
    suspend fun sealNow(timeout: Duration = 5.seconds): Boolean = io { sealNowBlocking(timeout) }

    /** [sealNow] on the calling thread, which waits for the disk. */
    @WorkerThread
    fun sealNowBlocking(timeout: Duration = 5.seconds): Boolean =
        reporting(false) {
            buffer.drain()
            core.sealNow(timeout.millisForCore())
            true
        }

    /** How many sealed batches wait for upload. */
    suspend fun pendingBatches(): Int = io { pendingBatchesBlocking() }

    /** [pendingBatches] on the calling thread, which waits until start has opened the outbox. */
    @WorkerThread
    fun pendingBatchesBlocking(): Int = core.pendingBatches().toInt()

    /** A readable JSON copy of everything held on the device (the user's right to a copy); null if storage failed. */
    suspend fun export(): String? = io { exportBlocking() }

    /** [export] on the calling thread, which waits for the disk. */
    @WorkerThread
    fun exportBlocking(): String? =
        reporting(null) {
            buffer.drain()
            core.exportJson()
        }

    /**
     * Erases everything held on the device and queues a deletion request for the collector.
     * Returns false if storage failed (reported to [Config.onError]): tell the user it did not
     * all happen, and try again. When it returns true, the erasure is on disk.
     */
    suspend fun deleteAll(): Boolean = io { deleteAllBlocking() }

    /** [deleteAll] on the calling thread, which waits for the disk. */
    @WorkerThread
    fun deleteAllBlocking(): Boolean {
        val deleted =
            try {
                reporting(false) {
                    buffer.drain()
                    core.deleteAll()
                    true
                }
            } finally {
                refreshConsent()
            }
        // Even after a failure: the data may be gone and the request queued with only the
        // consent left unsaved, and a job that finds nothing to send costs nothing.
        afterDeleteAll.forEach { action ->
            try {
                action()
            } catch (e: Exception) {
                config.onError(e)
            }
        }
        return deleted
    }

    /**
     * New identifiers from now on, unlinkable to the old ones; false if storage failed. Events
     * recorded before the call are handed to the core first, so they keep the old pseudonyms.
     */
    suspend fun resetIdentifiers(): Boolean = io { resetIdentifiersBlocking() }

    /** [resetIdentifiers] on the calling thread, which waits for the disk. */
    @WorkerThread
    fun resetIdentifiersBlocking(): Boolean =
        reporting(false) {
            buffer.drain()
            core.resetIdentifiers()
            true
        }

    /**
     * The privacy ledger as JSON: per category, how many events were collected, dropped (and
     * why), kept, purged and uploaded. Buffered events and drops are handed over first.
     */
    suspend fun ledgerJson(): String = io { ledgerJsonBlocking() }

    /** [ledgerJson] on the calling thread, which waits for the worker. */
    @WorkerThread
    fun ledgerJsonBlocking(): String {
        buffer.drain()
        return core.ledgerJson()
    }

    /** Returns true once everything recorded before it is durable; false after [timeout] or if storage failed. */
    suspend fun flush(timeout: Duration = 5.seconds): Boolean = io { flushBlocking(timeout) }

    /** [flush] on the calling thread, which waits for the disk. */
    @WorkerThread
    fun flushBlocking(timeout: Duration = 5.seconds): Boolean =
        reporting(false) {
            buffer.drain()
            core.flush(timeout.millisForCore())
            true
        }

    /** The most recent decisions (which policy rule fired on which field), as a JSON array. */
    @AnyThread
    fun recentTracesJson(): String = core.recentTracesJson()

    /**
     * Drains what is queued, makes it durable, and releases the core, after what the platform
     * layer attached (callbacks, the crash handler). A failure goes to [Config.onError].
     * Waits for the disk: call it where [WorkerThread] calls go.
     */
    @WorkerThread
    override fun close() {
        try {
            attachments.reversed().forEach { resource ->
                try {
                    resource.close()
                } catch (e: Exception) {
                    config.onError(e)
                }
            }
            attachments.clear()
            buffer.close()
            core.shutdown(5_000u)
        } catch (e: ModicumException) {
            // Storage that failed now failed before, and was reported then; closing must not throw.
            config.onError(e)
        } finally {
            core.close()
        }
    }

    /**
     * Uploads what is waiting through [uploader] (an [HttpUploader] unless the app has its own),
     * until nothing is left or the next attempt is more than [budget] away. Failures go to
     * [Config.onError] and come back as an empty report that waits for a backoff, so a job runs
     * again. [conditions] default to what the providers report now (network, battery), as on
     * iOS. The upload job ([dev.modicum.android.UploadJobService]) calls it for you.
     */
    suspend fun uploadPending(
        conditions: UploadConditions? = null,
        uploader: Uploader = HttpUploader(),
        budget: Duration = 30.seconds,
    ): UploadReport = io { uploadPendingBlocking(conditions, uploader, budget) }

    /** [uploadPending] on the calling thread, which waits for the network: a background job's. */
    @WorkerThread
    fun uploadPendingBlocking(
        conditions: UploadConditions? = null,
        uploader: Uploader = HttpUploader(),
        budget: Duration = 30.seconds,
    ): UploadReport {
        buffer.drain()
        return try {
            core.uploadPending(uploader, conditions ?: core.currentConditions(), budget.inWholeMilliseconds.coerceAtLeast(0).toULong())
        } catch (e: ModicumException) {
            config.onError(e)
            UploadReport(
                requests = 0u,
                deliveredBatches = 0u,
                deliveredEvents = 0uL,
                splits = 0u,
                droppedEvents = 0uL,
                waiting = WaitReason.BACKOFF,
            )
        }
    }
}

/** Runs a call that waits (for the disk, the worker, the network) on [Dispatchers.IO]. */
private suspend fun <T> io(call: () -> T): T = withContext(Dispatchers.IO) { call() }

/** Whether Modicum failed (storage, the platform) rather than the app passing something wrong. */
internal val ModicumException.isTelemetryFailure: Boolean
    get() =
        this is ModicumException.Storage ||
            this is ModicumException.StorageUnusable ||
            this is ModicumException.Platform ||
            this is ModicumException.SecretDamaged

/** A timeout as the core takes it: whole milliseconds, negative as zero, beyond 49 days as 49 days. */
internal fun Duration.millisForCore(): UInt = inWholeMilliseconds.coerceIn(0L, UInt.MAX_VALUE.toLong()).toUInt()
