package dev.modicum.android

import android.content.Context
import android.security.keystore.KeyPermanentlyInvalidatedException
import dev.modicum.ffi.ModicumException
import dev.modicum.ffi.SecretStore
import java.io.File
import java.io.FileOutputStream
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.UnrecoverableKeyException
import javax.crypto.AEADBadTagException

/**
 * Keeps the core's secrets (the journal's data key, the install secret) wrapped by [wrapper]
 * in files under [dir]: on a device, AES-GCM under a non-exportable Android Keystore key, in
 * the app's no-backup directory so that neither a cloud backup nor a device transfer carries
 * them (the Keystore key would not follow, so they could not be unwrapped anyway).
 *
 * A file that fails authentication (altered bytes, or the Keystore lost the key that wrapped
 * it), or whose wrapping key is unrecoverable or permanently invalidated, can never be
 * unwrapped again: that is [ModicumException.SecretDamaged], and the core replaces the secret. Anything else (a Keystore not ready yet, an I/O error) is
 * [ModicumException.Platform], and the core tries again on a later start.
 */
class KeystoreSecretStore(
    private val dir: File,
    private val wrapper: KeyWrapper,
) : SecretStore {
    /** On a device: the Android Keystore, files in `noBackupFilesDir/modicum-secrets`. */
    constructor(context: Context) : this(File(context.noBackupFilesDir, DIR_NAME), AndroidKeyStoreWrapper())

    @Synchronized
    override fun load(name: String): ByteArray? {
        val file = fileFor(name)
        if (!file.exists()) return null
        return platform("cannot unwrap secret `$name`") {
            try {
                wrapper.unwrap(file.readBytes(), name.toByteArray())
            } catch (e: GeneralSecurityException) {
                if (!e.meansLostForGood()) throw e
                throw ModicumException.SecretDamaged("secret `$name`: $e")
            }
        }
    }

    @Synchronized
    override fun save(
        name: String,
        secret: ByteArray,
    ) {
        val file = fileFor(name)
        val wrapped = platform("cannot wrap secret `$name`") { wrapper.wrap(secret, name.toByteArray()) }
        platform("cannot store secret `$name`") { writeAtomically(file, wrapped) }
    }

    @Synchronized
    override fun delete(name: String) {
        val file = fileFor(name)
        if (file.exists() && !file.delete()) throw ModicumException.Platform("cannot delete secret `$name`")
    }

    private fun fileFor(name: String): File {
        if (!NAME.matches(name)) throw ModicumException.Platform("unsupported secret name `$name`")
        return File(dir, "$name.wrapped")
    }

    /** Written beside, synced, then renamed: a crash leaves the old secret or the new, never half. */
    private fun writeAtomically(
        file: File,
        bytes: ByteArray,
    ) {
        if (!dir.isDirectory && !dir.mkdirs()) throw IOException("cannot create $dir")
        val temporary = File(dir, "${file.name}.tmp")
        FileOutputStream(temporary).use { out ->
            out.write(bytes)
            out.fd.sync()
        }
        if (!temporary.renameTo(file)) throw IOException("cannot rename $temporary")
    }

    private inline fun <T> platform(
        what: String,
        action: () -> T,
    ): T =
        try {
            action()
        } catch (e: ModicumException) {
            throw e
        } catch (e: Exception) {
            // GeneralSecurityException, IOException, and the Keystore's unchecked ProviderException.
            throw ModicumException.Platform("$what: $e")
        }

    private companion object {
        const val DIR_NAME = "modicum-secrets"
        val NAME = Regex("[A-Za-z0-9._-]{1,64}")
    }
}

/** Whether no retry can ever unwrap the secret: its bytes or its wrapping key are gone for good. */
internal fun GeneralSecurityException.meansLostForGood() =
    this is AEADBadTagException || this is UnrecoverableKeyException || this is KeyPermanentlyInvalidatedException
