package dev.modicum.android

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/**
 * AES-GCM with a 256-bit key generated inside the Android Keystore under [alias]: the key is
 * not exportable, so the wrapped secrets on disk cannot be decrypted off the device (in
 * hardware where the device has a TEE or StrongBox). No user authentication is required,
 * because uploads and crash reports run when the user is not there.
 *
 * Runs only on a device or emulator: Robolectric has no `AndroidKeyStore` provider, so the
 * host tests exercise [AesGcmKeyWrapper] with a software key instead; the only code they do
 * not run is [keystoreKey] and the deletion of a key the Keystore lost.
 */
class AndroidKeyStoreWrapper(
    private val alias: String = DEFAULT_ALIAS,
) : AesGcmKeyWrapper({ keystoreKey(alias) }) {
    override fun wrap(
        plaintext: ByteArray,
        associatedData: ByteArray,
    ): ByteArray = forgettingALostKey { super.wrap(plaintext, associatedData) }

    override fun unwrap(
        wrapped: ByteArray,
        associatedData: ByteArray,
    ): ByteArray = forgettingALostKey { super.unwrap(wrapped, associatedData) }

    /**
     * A key the Keystore can no longer use is deleted, so the next call generates a fresh one:
     * the core then replaces the secrets it wrapped instead of failing on every start.
     */
    private inline fun <T> forgettingALostKey(action: () -> T): T =
        try {
            action()
        } catch (e: GeneralSecurityException) {
            if (e !is AEADBadTagException && e.meansLostForGood()) deleteKey(alias)
            throw e
        }

    companion object {
        const val DEFAULT_ALIAS = "dev.modicum.secrets"
        private const val PROVIDER = "AndroidKeyStore"

        @Synchronized
        private fun deleteKey(alias: String) {
            KeyStore.getInstance(PROVIDER).apply { load(null) }.deleteEntry(alias)
        }

        /** The key under [alias], generated on first use. */
        @Synchronized
        private fun keystoreKey(alias: String): SecretKey {
            val store = KeyStore.getInstance(PROVIDER).apply { load(null) }
            (store.getKey(alias, null) as? SecretKey)?.let { return it }
            val spec =
                KeyGenParameterSpec
                    .Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                    .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                    .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                    .setKeySize(256)
                    .build()
            return KeyGenerator
                .getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER)
                .apply { init(spec) }
                .generateKey()
        }
    }
}
