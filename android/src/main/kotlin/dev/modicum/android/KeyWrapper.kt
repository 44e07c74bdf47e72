package dev.modicum.android

import java.security.GeneralSecurityException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Encrypts a secret for storage and decrypts it back. [KeystoreSecretStore] uses one so the
 * secrets on disk are useless without a key that never leaves the device's key store.
 * [associatedData] binds a wrapped secret to its name: a file copied over another name fails
 * to unwrap rather than yielding the wrong secret.
 */
interface KeyWrapper {
    @Throws(GeneralSecurityException::class)
    fun wrap(
        plaintext: ByteArray,
        associatedData: ByteArray,
    ): ByteArray

    @Throws(GeneralSecurityException::class)
    fun unwrap(
        wrapped: ByteArray,
        associatedData: ByteArray,
    ): ByteArray
}

/**
 * AES-GCM under the key [key] returns: a version byte, the 12-byte IV the cipher chose, then
 * ciphertext and 16-byte tag. The key is asked for on each call so a key store can hand out a
 * handle it keeps (the Keystore's key material never enters the process).
 */
open class AesGcmKeyWrapper(
    private val key: () -> SecretKey,
) : KeyWrapper {
    override fun wrap(
        plaintext: ByteArray,
        associatedData: ByteArray,
    ): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // The cipher draws the IV: Android's Keystore refuses caller-chosen IVs by default.
        cipher.init(Cipher.ENCRYPT_MODE, key())
        cipher.updateAAD(associatedData)
        val iv = cipher.iv
        if (iv.size != IV_BYTES) throw GeneralSecurityException("unexpected IV length ${iv.size}")
        return byteArrayOf(VERSION) + iv + cipher.doFinal(plaintext)
    }

    override fun unwrap(
        wrapped: ByteArray,
        associatedData: ByteArray,
    ): ByteArray {
        if (wrapped.size < 1 + IV_BYTES + TAG_BYTES || wrapped[0] != VERSION) {
            // No key will ever open it: to the caller, the same as a failed tag.
            throw AEADBadTagException("not a wrapped secret (${wrapped.size} bytes)")
        }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BYTES * 8, wrapped, 1, IV_BYTES))
        cipher.updateAAD(associatedData)
        return cipher.doFinal(wrapped, 1 + IV_BYTES, wrapped.size - 1 - IV_BYTES)
    }

    private companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val VERSION: Byte = 1
        const val IV_BYTES = 12
        const val TAG_BYTES = 16
    }
}
