package dev.modicum

import dev.modicum.ffi.ModicumConfig
import dev.modicum.ffi.ModicumCore
import dev.modicum.ffi.ModicumException
import java.io.File

/** What [Modicum.start] needs: a directory private to the app and the app's id. */
data class Config(val storageDir: File, val appId: String)

/**
 * The Kotlin face of Modicum. Errors in what the app passes are thrown as the typed
 * subclasses of [ModicumException] (for example [ModicumException.EmptyEventName]); nothing
 * else is thrown.
 */
class Modicum private constructor(private val core: ModicumCore) : AutoCloseable {
    companion object {
        /** Starts Modicum; throws [ModicumException.StorageUnusable] or [ModicumException.InvalidConfig]. */
        @JvmStatic
        @Throws(ModicumException::class)
        fun start(config: Config): Modicum =
            Modicum(ModicumCore.start(ModicumConfig(storageDir = config.storageDir.path, appId = config.appId)))
    }

    /** Records the user's decision for [category]; withdrawing discards what is held for it. */
    fun setConsent(category: ConsentCategory, granted: Boolean) = core.setConsent(category.wireName, granted)

    /** As [setConsent], for a category named by a string (from a remote config, say). */
    @Throws(ModicumException::class)
    fun setConsent(categoryName: String, granted: Boolean) = core.setConsent(categoryName, granted)

    /** The categories the user has granted. */
    val grantedCategories: Set<String> get() = core.grantedCategories().toSet()

    /**
     * Records a custom event. Returns true if its minimized form is held, false if the user's
     * consent does not allow it. Property values may be Boolean, numbers, text or enums.
     */
    @Throws(ModicumException::class)
    fun record(name: String, properties: Map<String, Any> = emptyMap()): Boolean =
        core.record(name, properties.toPropertyValues())

    /** The minimized events held on the device, as a JSON array: what would leave it. */
    fun heldEventsJson(): String = core.heldEventsJson()

    override fun close() = core.close()
}
