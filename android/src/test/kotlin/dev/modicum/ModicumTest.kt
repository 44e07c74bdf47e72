package dev.modicum

import dev.modicum.ffi.AgeBand
import dev.modicum.ffi.DataClass
import dev.modicum.ffi.ModicumException
import dev.modicum.ffi.SecretStore
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import java.io.File
import java.nio.file.Files
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

class ModicumTest {
    private lateinit var dir: File

    @Before
    fun makeDir() {
        dir = Files.createTempDirectory("modicum-kotlin").toFile()
    }

    @After
    fun removeDir() {
        dir.deleteRecursively()
    }

    private val errors = java.util.Collections.synchronizedList(mutableListOf<Throwable>())

    private fun start() = Modicum.start(Config(storageDir = File(dir, "store"), appId = "dev.modicum.test", onError = { errors.add(it) }))

    @Test
    fun recordsOnlyWithConsentAndReadsBackMinimizedJson() {
        start().use { modicum ->
            assertFalse("nothing is held without consent", modicum.record("opened"))

            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            assertEquals(setOf(ConsentCategory.ANALYTICS), modicum.permittedCategories)
            val kept =
                modicum.record(
                    "checkout",
                    mapOf("items" to 3, "total" to 12.5, "express" to true, "note" to "mail me at ann@example.org"),
                )
            assertTrue(kept)

            val json = modicum.heldEventsJsonBlocking()!!
            assertTrue(json, json.startsWith("[{\"name\":\"checkout\",\"category\":\"analytics\""))
            assertTrue(json, json.contains("\"properties\":{\"express\":true,\"items\":3,\"note\":\"mail me at [email]\",\"total\":12.5}"))
            assertFalse("the raw email never comes back", json.contains("ann@example.org"))
        }
    }

    @Test
    fun withdrawingConsentDiscardsHeldEvents() {
        start().use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            modicum.record("a")
            modicum.setConsent(ConsentCategory.ANALYTICS, false)
            assertEquals("[]", modicum.heldEventsJsonBlocking()!!)
        }
    }

    /**
     * An event the app recorded before a withdrawal never leaves, even if the category is
     * granted again while the event still waits in the buffer: a consent change does not wait
     * for the buffer, so the event carries the consent epoch it was recorded at.
     */
    @Test
    fun anEventRecordedBeforeAWithdrawalIsNotHeldAfterANewGrant() {
        start().use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            assertTrue(modicum.record("before"))
            modicum.setConsent(ConsentCategory.ANALYTICS, false)
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            assertTrue(modicum.record("after"))
            val held = modicum.heldEventsJsonBlocking()!!
            assertFalse(held, held.contains("\"before\""))
            assertTrue(held, held.contains("\"after\""))
        }
    }

    @Test
    fun everyFacadeCategoryIsOneTheCoreKnows() {
        start().use { modicum ->
            ConsentCategory.values().forEach { modicum.setConsent(it, true) }
            assertEquals(ConsentCategory.entries.toSet(), modicum.permittedCategories)
        }
    }

    @Test
    fun badEventsGoToTheListenerAsTypedErrorsAndNeverThrow() {
        start().use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            assertTrue("taken, checked off the app's thread", modicum.record(""))
            modicum.record("e", mapOf("ratio" to Double.NaN))
            modicum.record("e", mapOf("list" to listOf(1)))
            modicum.record("fine")
            modicum.flushBlocking()
            assertEquals(3, errors.size)
            assertTrue(errors.any { it is ModicumException.EmptyEventName })
            assertEquals("ratio", errors.filterIsInstance<ModicumException.InvalidProperty>().single().key)
            assertTrue(errors.any { it is IllegalArgumentException })
            assertTrue(modicum.heldEventsJsonBlocking()!!.contains("\"name\":\"fine\""))
            // Setting consent is the app's own configuration: a wrong name is thrown at once.
            val unknown =
                assertThrows(ModicumException.UnknownCategory::class.java) {
                    modicum.setConsent("telepathy", true)
                }
            assertEquals("telepathy", unknown.name)
        }
    }

    @Test
    fun recordingFromManyThreadsLosesNothing() {
        start().use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            val threads =
                (0 until 4).map { t ->
                    Thread { repeat(2_500) { i -> modicum.record("tap", mapOf("t" to t, "i" to i)) } }
                }
            threads.forEach { it.start() }
            threads.forEach { it.join() }
            modicum.flushBlocking()
            val held = modicum.heldEventsJsonBlocking()!!
            assertEquals(10_000, Regex("\"name\":\"tap\"").findAll(held).count())
            assertEquals(0L, modicum.droppedForFullBuffer)
        }
    }

    @Test
    fun declaredClassesAreMinimizedByThePolicy() {
        start().use { modicum ->
            listOf(ConsentCategory.ANALYTICS, ConsentCategory.DIAGNOSTICS, ConsentCategory.IDENTIFIERS, ConsentCategory.LOCATION)
                .forEach { modicum.setConsent(it, true) }
            modicum.record(
                "session",
                mapOf(
                    "ip" to "203.0.113.77",
                    "install" to "3f1c9a7e-2b4d-4e8f-9a1b-7c6d5e4f3a2b",
                    "email" to "ann@example.org",
                    "where" to Location(52.520008, 13.404954),
                ),
                classes = mapOf("ip" to DataClass.NETWORK_IP, "install" to DataClass.ID_INSTALL, "email" to DataClass.CONTACT),
            )
            val json = modicum.heldEventsJsonBlocking()!!
            assertTrue(json, json.contains("\"ip\":\"203.0.113.0/24\""))
            assertTrue(json, json.contains("\"install\":\"p1_"))
            for (raw in listOf("203.0.113.77", "3f1c9a7e", "ann@example.org", "52.520008")) {
                assertFalse("$raw leaked: $json", json.contains(raw))
            }
            assertTrue(modicum.recentTracesJson().contains("\"class\":\"contact\""))
        }
    }

    @Test
    fun aChildWithoutGuardianConsentGetsNothingWithoutEssentialProcessing() {
        start().use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            modicum.setAge(AgeBand.CHILD, guardianConsent = false)
            assertFalse(modicum.record("tap"))
            assertEquals(emptySet<ConsentCategory>(), modicum.permittedCategories)
            modicum.setAge(AgeBand.CHILD, guardianConsent = true)
            assertTrue(modicum.record("tap"))
        }
    }

    @Test
    fun consentSurvivesARestart() {
        start().use { it.setConsent(ConsentCategory.ANALYTICS, true) }
        start().use { assertEquals(setOf(ConsentCategory.ANALYTICS), it.permittedCategories) }
    }

    @Test
    fun exportThenDeleteAll() {
        start().use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            modicum.record("opened", mapOf("note" to "hi ann@example.org"))
            modicum.flushBlocking()
            val export = modicum.exportBlocking()!!
            assertTrue(export, export.contains("\"note\": \"hi [email]\""))
            assertTrue(export, export.contains("\"history\""))
            modicum.deleteAllBlocking()
            assertEquals("[]", modicum.heldEventsJsonBlocking()!!)
            assertEquals(emptySet<ConsentCategory>(), modicum.permittedCategories)
            // Nothing was uploaded, so no collector holds anything to delete: no request waits.
            assertTrue(modicum.exportBlocking()!!.contains("\"deletion_requests\": []"))
        }
    }

    @Test
    fun withACollectorKeyEventsAreSealedForUpload() {
        val config = Config(storageDir = File(dir, "sealed"), appId = "dev.modicum.test", collectorPublicKey = ByteArray(32) { 9 })
        Modicum.start(config).use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            modicum.record("tap")
            modicum.sealNowBlocking()
            assertEquals(1, modicum.pendingBatchesBlocking())
            assertEquals("[]", modicum.heldEventsJsonBlocking()!!)
        }
    }

    @Test
    fun anInvalidPolicyIsATypedExceptionNamingTheRule() {
        val policy = """{"rules": [{"class": "id.hardware", "action": "keep"}]}"""
        val error =
            assertThrows(ModicumException.InvalidPolicy::class.java) {
                Modicum.start(Config(storageDir = File(dir, "store"), appId = "dev.modicum.test", policyDocument = policy))
            }
        assertTrue(error.errors, error.errors.contains("rule 1 (`id.hardware`)"))
    }

    @Test
    fun anUnusableStorageDirectoryIsATypedException() {
        val file = File(dir, "plain-file").apply { writeText("not a directory") }
        val error =
            assertThrows(ModicumException.StorageUnusable::class.java) {
                Modicum.start(Config(storageDir = file, appId = "dev.modicum.test"))
            }
        assertEquals(file.path, error.path)
    }

    @Test
    fun telemetryFailuresGoToTheListenerAndWhatTheAppPassedWrongIsThrown() {
        // A key store that is not ready: the core cannot open its journal, so every storage
        // operation fails, and the app hears of it only through onError.
        val notReady =
            object : SecretStore {
                override fun load(name: String): ByteArray? =
                    if (name == "journal-data-key") throw ModicumException.Platform("keystore locked") else null

                override fun save(
                    name: String,
                    secret: ByteArray,
                ) {}

                override fun delete(name: String) {}
            }
        val config =
            Config(
                storageDir = File(dir, "store"),
                appId = "dev.modicum.test",
                secretStorage = SecretStorage.Custom(notReady),
                onError = { errors.add(it) },
            )
        Modicum.start(config).use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            assertTrue("taken into the buffer", modicum.record("tap"))
            assertFalse(modicum.flushBlocking())
            assertFalse(modicum.sealNowBlocking())
            assertNull(modicum.heldEventsJsonBlocking())
            assertNull(modicum.exportBlocking())
            assertFalse(modicum.deleteAllBlocking())
            assertEquals("one report per failed call: $errors", 5, errors.size)
            assertTrue("$errors", errors.all { (it as? ModicumException)?.isTelemetryFailure == true })

            assertThrows(ModicumException.UnknownCategory::class.java) { modicum.setConsent("nope", true) }
        }
    }

    /** The core's ledger counts for [category], from [Modicum.ledgerJson]. */
    private fun ledger(
        modicum: Modicum,
        category: String,
    ): Map<String, Long> {
        val counts = org.json.JSONObject(modicum.ledgerJsonBlocking()).optJSONObject(category) ?: return emptyMap()
        return counts.keys().asSequence().associateWith { counts.getLong(it) }
    }

    @Test
    fun everyRecordCallIsCountedInTheCoresLedger() {
        val config =
            Config(
                storageDir = File(dir, "store"),
                appId = "dev.modicum.test",
                bufferCapacity = 1,
                onError = { errors.add(it) },
            )
        Modicum.start(config).use { modicum ->
            var calls = 0L
            repeat(3) {
                modicum.record("before consent")
                calls++
            }
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            // A buffer of one: a burst overflows it before the drainer runs.
            repeat(2_000) {
                modicum.record("burst", mapOf("i" to it))
                calls++
            }
            modicum.flushBlocking()
            modicum.record("unconvertible", mapOf("list" to listOf(1)))
            calls++
            modicum.flushBlocking()
            modicum.record("not a number", mapOf("ratio" to Double.NaN))
            calls++
            modicum.flushBlocking()
            val counts = ledger(modicum, "analytics")
            assertEquals("$counts", calls, counts["collected"])
            assertEquals("$counts", 3L, counts["dropped_for_consent"])
            assertEquals("$counts", 2L, counts["dropped_invalid"])
            assertTrue("$counts", (counts["dropped_buffer_full"] ?: 0) > 0)
            val accounted =
                listOf("dropped_for_consent", "dropped_buffer_full", "dropped_invalid", "dropped_queue_full", "kept")
                    .sumOf { counts[it] ?: 0 }
            assertEquals("every call has exactly one outcome: $counts", calls, accounted)
            assertEquals(modicum.droppedForFullBuffer, counts["dropped_buffer_full"])
        }
    }

    @Test
    fun eventsRecordedBeforeAResetKeepTheOldPseudonym() {
        start().use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            modicum.setConsent(ConsentCategory.IDENTIFIERS, true)
            val install = mapOf("install" to DataClass.ID_INSTALL)
            // Still in the buffer when the reset is asked for: it must reach the core first.
            modicum.record("before", mapOf("install" to "same-install-id"), install)
            assertTrue(modicum.resetIdentifiersBlocking())
            modicum.record("after", mapOf("install" to "same-install-id"), install)
            val held = org.json.JSONArray(modicum.heldEventsJsonBlocking()!!)
            val pseudonyms =
                (0 until held.length()).associate {
                    val event = held.getJSONObject(it)
                    event.getString("name") to event.getJSONObject("properties").getString("install")
                }
            assertEquals(setOf("before", "after"), pseudonyms.keys)
            assertTrue("$pseudonyms", pseudonyms.getValue("before") != pseudonyms.getValue("after"))
        }
    }

    /** The defaults the README's table lists, the same as Swift's (`testDefaultsAreTheOnesTheReadmeLists`). */
    @Test
    fun defaultsAreTheOnesTheReadmeLists() {
        val config = Config(storageDir = dir, appId = "dev.modicum.test")
        assertTrue(config.installCrashHandler)
        assertTrue(config.uploadOnlyUnmetered)
        assertTrue(config.sealOnBackground)
        assertEquals(10_000, config.bufferCapacity)
        assertNull(config.pseudonymRotationDays)
        assertNull(config.policyDocument)
        assertNull(config.homeRegion)
        assertTrue(config.tracksSessions)
        assertNull(config.appVersion)
    }

    @Test
    fun configIsAPlainClassJavaCanBuildWithTheParametersItNeeds() {
        // @JvmOverloads: Java can pass only the directory and the app id.
        val javaStyle = Config::class.java.getConstructor(File::class.java, String::class.java)
        val config = javaStyle.newInstance(dir, "dev.modicum.test")
        assertEquals("dev.modicum.test", config.appId)
        val generated =
            Config::class.java.methods
                .map { it.name }
                .filter { it == "copy" || it == "component1" }
        assertEquals("not a data class: no copy() to break when a field is added", emptyList<String>(), generated)
    }

    @Test
    fun timeoutsAreDurationsTheCoreGetsClampedToWholeMilliseconds() {
        assertEquals(1_500u, 1_500.milliseconds.millisForCore())
        assertEquals(0u, (-3).seconds.millisForCore())
        assertEquals(UInt.MAX_VALUE, Duration.INFINITE.millisForCore())
        start().use { assertTrue(it.flushBlocking(timeout = 2.seconds)) }
    }
}
