package dev.modicum.android

import android.app.Application
import dev.modicum.ConsentCategory
import dev.modicum.ffi.ModicumException
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import java.io.File

/**
 * The store with a software key in place of the Keystore's (Robolectric has no AndroidKeyStore
 * provider); the wrapping, the files and the error paths are the ones a device runs.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class KeystoreSecretStoreTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val dir = File(app.noBackupFilesDir, "secrets")
    private val key = softwareKey()
    private val store = KeystoreSecretStore(dir, AesGcmKeyWrapper { key })
    private val secret = ByteArray(32) { (it * 7 + 1).toByte() }

    private fun ByteArray.contains(needle: ByteArray) =
        (0..size - needle.size).any { start -> needle.indices.all { this[start + it] == needle[it] } }

    @Test
    fun savedSecretsAreWrappedOnDiskAndLoadBack() {
        store.save("install-secret", secret)

        val onDisk = File(dir, "install-secret.wrapped").readBytes()
        assertFalse("the plaintext is not on disk", onDisk.contains(secret))
        assertEquals("version, IV, ciphertext, tag", 1 + 12 + 32 + 16, onDisk.size)
        assertArrayEquals(secret, store.load("install-secret"))
        assertArrayEquals(
            "another instance with the same key reads it",
            secret,
            KeystoreSecretStore(
                dir,
                AesGcmKeyWrapper {
                    key
                },
            ).load("install-secret"),
        )
        assertNull(store.load("never-saved"))
    }

    @Test
    fun deleteRemovesTheWrappedSecretAndForgetsMissingOnes() {
        store.save("journal-data-key", secret)
        store.delete("journal-data-key")
        assertFalse(File(dir, "journal-data-key.wrapped").exists())
        assertNull(store.load("journal-data-key"))
        store.delete("journal-data-key")
    }

    @Test
    fun damageOrTheWrongKeyIsDamagedForGoodNotACrash() {
        val damaged = ModicumException.SecretDamaged::class.java
        store.save("journal-data-key", secret)
        val file = File(dir, "journal-data-key.wrapped")
        val bytes = file.readBytes().also { it[20] = (it[20].toInt() xor 1).toByte() }
        file.writeBytes(bytes)
        assertThrows(damaged) { store.load("journal-data-key") }
        file.writeBytes(ByteArray(5))
        assertThrows("too short to be a wrapped secret", damaged) { store.load("journal-data-key") }

        store.save("journal-data-key", secret)
        val otherKey = KeystoreSecretStore(dir, AesGcmKeyWrapper { softwareKey() })
        assertThrows(damaged) { otherKey.load("journal-data-key") }

        File(dir, "journal-data-key.wrapped").copyTo(File(dir, "install-secret.wrapped"), overwrite = true)
        assertThrows("a file moved to another name does not unwrap", damaged) { store.load("install-secret") }

        assertThrows(ModicumException.Platform::class.java) { store.save("../escape", secret) }
    }

    @Test
    fun aKeyStoreThatIsNotReadyIsAPassingFailureAndALostKeyIsNot() {
        store.save("journal-data-key", secret)
        val notReady = KeystoreSecretStore(dir, AesGcmKeyWrapper { throw java.security.KeyStoreException("locked") })
        assertThrows(ModicumException.Platform::class.java) { notReady.load("journal-data-key") }
        val lost = KeystoreSecretStore(dir, AesGcmKeyWrapper { throw java.security.UnrecoverableKeyException("gone") })
        assertThrows(ModicumException.SecretDamaged::class.java) { lost.load("journal-data-key") }
    }

    @Test
    fun theCoreKeepsItsSecretsHereAndReplacesADamagedDataKey() {
        val modicum = TestModicum(app, key)
        modicum.start().use { running ->
            running.setConsent(ConsentCategory.ANALYTICS, true)
            running.record("a")
            assertTrue(running.flushBlocking())
            assertTrue(running.heldEventsJsonBlocking()!!.contains("\"a\""))
        }
        val wrapped = modicum.secretsDir.list()!!.sorted()
        assertEquals(listOf("install-secret.wrapped", "journal-data-key.wrapped"), wrapped)

        File(modicum.secretsDir, "journal-data-key.wrapped").writeBytes(ByteArray(40))
        modicum.start().use { running ->
            running.record("b")
            assertTrue(running.flushBlocking())
            val held = running.heldEventsJsonBlocking()!!
            assertTrue("what came before is unreadable; telemetry goes on: $held", held.contains("\"b\"") && !held.contains("\"a\""))
        }
        assertEquals(emptyList<Throwable>(), modicum.errors)
    }
}
