package dev.modicum

import dev.modicum.ffi.Endpoint
import dev.modicum.ffi.UploadConditions
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import java.io.File
import java.net.HttpURLConnection
import java.net.ServerSocket
import java.net.URL
import java.nio.file.Files

/**
 * Record → flush → upload through [HttpUploader] to the reference ingest server (`modicum serve`,
 * started here on 127.0.0.1), then the server's database holds the minimized events.
 */
class UploadTest {
    private lateinit var dir: File
    private var server: Process? = null
    private val cli = System.getProperty("modicum.cli") ?: error("-Dmodicum.cli names the modicum binary")

    @Before
    fun makeDir() {
        dir = Files.createTempDirectory("modicum-upload").toFile()
    }

    @After
    fun stop() {
        server?.destroy()
        server?.waitFor()
        dir.deleteRecursively()
    }

    private fun run(vararg args: String): String {
        val process = ProcessBuilder(cli, *args).redirectErrorStream(true).start()
        val out = process.inputStream.bufferedReader().readText()
        assertEquals(out, 0, process.waitFor())
        return out
    }

    private fun startServer(): String {
        run("keygen", "--out", dir.path)
        val port = ServerSocket(0).use { it.localPort }
        server =
            ProcessBuilder(
                cli,
                "serve",
                "--addr",
                "127.0.0.1:$port",
                "--db",
                File(dir, "ingest.sqlite3").path,
                "--key",
                File(dir, "collector.key").path,
            ).redirectErrorStream(true).redirectOutput(File(dir, "server.log")).start()
        val url = "http://127.0.0.1:$port"
        repeat(100) {
            try {
                val health = URL("$url/v1/health").openConnection() as HttpURLConnection
                if (health.responseCode == 200) return url
            } catch (_: java.io.IOException) {
            }
            Thread.sleep(50)
        }
        error("the server did not come up: ${File(dir, "server.log").readText()}")
    }

    @Test
    fun eventsReachTheServerMinimized() {
        val url = startServer()
        val publicKey =
            File(dir, "collector.pub")
                .readText()
                .trim()
                .chunked(2)
                .map { it.toInt(16).toByte() }
                .toByteArray()
        val config =
            Config(
                storageDir = File(dir, "device"),
                appId = "dev.modicum.kotlin",
                collectorPublicKey = publicKey,
                endpoints = listOf(Endpoint(region = "eu", url = url)),
            )
        Modicum.start(config).use { modicum ->
            modicum.setConsent(ConsentCategory.ANALYTICS, true)
            repeat(120) { i -> modicum.record("checkout", mapOf("i" to i, "note" to "mail ann@example.org")) }
            modicum.flushBlocking()
            val report = modicum.uploadPendingBlocking(UploadConditions(connected = true, metered = false, batteryLow = false))
            assertEquals(report.toString(), 120uL, report.deliveredEvents)
            assertEquals(null, report.waiting)
            assertEquals(0, modicum.pendingBatchesBlocking())
        }
        val summary = run("inspect", "--db", File(dir, "ingest.sqlite3").path, "--contains", "ann@example.org", "--contains", "[email]")
        assertTrue(summary, summary.contains("\"analytics\":120"))
        assertTrue(summary, summary.contains("\"ann@example.org\":false"))
        assertTrue(summary, summary.contains("\"[email]\":true"))
    }
}
