package dev.modicum.android

import android.content.Context
import dev.modicum.Config
import dev.modicum.Modicum
import dev.modicum.SecretStorage
import dev.modicum.ffi.Endpoint
import dev.modicum.start
import java.io.File
import java.util.Collections
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/** A software AES key for the wrapper: Robolectric has no AndroidKeyStore provider. */
internal fun softwareKey(): SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()

/**
 * Starts Modicum the way an app does, through `Modicum.start(context, config)`, with secrets
 * wrapped under [key] in the app's no-backup directory.
 */
internal class TestModicum(
    private val context: Context,
    private val key: SecretKey = softwareKey(),
) {
    val errors: MutableList<Throwable> = Collections.synchronizedList(mutableListOf())
    val secretsDir = File(context.noBackupFilesDir, "test-secrets")

    fun config(
        installCrashHandler: Boolean = false,
        storageDir: File = File(context.filesDir, "modicum"),
        collectorPublicKey: ByteArray? = null,
        endpoints: List<Endpoint> = emptyList(),
        uploadOnlyUnmetered: Boolean = true,
        appVersion: String? = null,
    ) = Config(
        storageDir = storageDir,
        appId = "dev.modicum.robolectric",
        secretStorage = SecretStorage.Custom(KeystoreSecretStore(secretsDir, AesGcmKeyWrapper { key })),
        installCrashHandler = installCrashHandler,
        onError = { errors.add(it) },
        collectorPublicKey = collectorPublicKey,
        endpoints = endpoints,
        uploadOnlyUnmetered = uploadOnlyUnmetered,
        appVersion = appVersion,
    )

    fun start(config: Config = config()): Modicum = Modicum.start(context, config) ?: error("start failed: $errors")
}
