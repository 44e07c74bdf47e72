package dev.modicum

import dev.modicum.ffi.AgeBand
import dev.modicum.ffi.CustomEvent
import dev.modicum.ffi.DataClass
import dev.modicum.ffi.ModicumConfig
import dev.modicum.ffi.ModicumCore
import dev.modicum.ffi.ModicumException
import java.io.File

/**
 * What [Modicum.start] needs: a directory private to the app, the app's id, and optionally
 * the app's own policy document (JSON or TOML; the built-in policy otherwise) and how many
 * days pseudonyms last before they rotate (30 otherwise).
 */
data class Config(
    val storageDir: File,
    val appId: String,
    val policyDocument: String? = null,
    val pseudonymRotationDays: Int? = null,
    /** The collector's X25519 public key (32 bytes); without it nothing is sealed for upload. */
    val collectorPublicKey: ByteArray? = null,
)

/**
 * The Kotlin face of Modicum. Errors in what the app passes are thrown as the typed
 * subclasses of [ModicumException] (for example [ModicumException.EmptyEventName]); nothing
 * else is thrown except [IllegalArgumentException] for a property of an unsupported type.
 */
class Modicum private constructor(private val core: ModicumCore) : AutoCloseable {
    companion object {
        /** Starts Modicum; throws [ModicumException.StorageUnusable], [ModicumException.InvalidConfig] or [ModicumException.InvalidPolicy]. */
        @JvmStatic
        @Throws(ModicumException::class)
        fun start(config: Config): Modicum =
            Modicum(
                ModicumCore.start(
                    ModicumConfig(
                        storageDir = config.storageDir.path,
                        appId = config.appId,
                        policyDocument = config.policyDocument,
                        pseudonymRotationDays = config.pseudonymRotationDays?.toUInt(),
                        collectorPublicKey = config.collectorPublicKey,
                    ),
                ),
            )
    }

    /** Records the user's decision for [category]; withdrawing discards what is held for it. */
    @Throws(ModicumException::class)
    fun setConsent(category: ConsentCategory, granted: Boolean) = core.setConsent(category.wireName, granted)

    /** As [setConsent], for a category named by a string (from a remote config, say). */
    @Throws(ModicumException::class)
    fun setConsent(categoryName: String, granted: Boolean) = core.setConsent(categoryName, granted)

    /** Records that the user agreed to [version] of the app's terms. */
    @Throws(ModicumException::class)
    fun agreeToVersion(version: Int) = core.agreeToVersion(version.toUInt())

    /** Sets the user's age band and whether a guardian consented. */
    @Throws(ModicumException::class)
    fun setAge(age: AgeBand, guardianConsent: Boolean = false) = core.setAge(age, guardianConsent)

    /** The categories processing is permitted for right now (`essential` if the policy declares it). */
    val permittedCategories: Set<String> get() = core.permittedCategories().toSet()

    /**
     * Records a custom event without blocking. Returns true if it was queued for minimization,
     * false if the user's consent does not allow it or the queue is full (both are counted). Property values may be Boolean, numbers, text, enums or
     * [Location]; [classes] declares a property's data class (text without one is scrubbed).
     */
    @Throws(ModicumException::class)
    fun record(
        name: String,
        properties: Map<String, Any> = emptyMap(),
        classes: Map<String, DataClass> = emptyMap(),
        category: ConsentCategory? = null,
    ): Boolean = core.recordEvent(CustomEvent(name, category?.wireName, properties.toPropertyValues(), classes))

    /** The minimized events held on the device, as a JSON array: what would leave it. */
    @Throws(ModicumException::class)
    fun heldEventsJson(): String = core.heldEventsJson()

    /** Seals what was recorded into batches for upload now, rather than when a batch fills. */
    @Throws(ModicumException::class)
    fun sealNow(timeoutMillis: Int = 5_000) = core.sealNow(timeoutMillis.toUInt())

    /** How many sealed batches wait for upload. */
    val pendingBatches: Int get() = core.pendingBatches().toInt()

    /** A readable JSON copy of everything held on the device (the user's right to a copy). */
    @Throws(ModicumException::class)
    fun export(): String = core.exportJson()

    /** Erases everything held on the device and queues a deletion request for the collector. */
    @Throws(ModicumException::class)
    fun deleteAll() = core.deleteAll()

    /** New identifiers from now on, unlinkable to the old ones. */
    @Throws(ModicumException::class)
    fun resetIdentifiers() = core.resetIdentifiers()

    /** Returns once everything recorded before it is durable, or after [timeoutMillis]. */
    @Throws(ModicumException::class)
    fun flush(timeoutMillis: Int = 5_000) = core.flush(timeoutMillis.toUInt())

    /** The most recent decisions (which policy rule fired on which field), as a JSON array. */
    fun recentTracesJson(): String = core.recentTracesJson()

    /** Drains what is queued, makes it durable, and releases the core. */
    override fun close() {
        try {
            core.shutdown(5_000u)
        } finally {
            core.close()
        }
    }
}
