package dev.modicum

import dev.modicum.ffi.UploadOutcome
import dev.modicum.ffi.UploadRequest
import dev.modicum.ffi.Uploader
import java.io.IOException
import java.net.HttpURLConnection
import java.net.URL

/**
 * Sends Modicum's upload requests with [HttpURLConnection]: the platform's own HTTP stack, so
 * the app's TLS, proxy and network security configuration apply. Every failure is reported as a
 * network error for the core's retry rules; nothing is thrown.
 */
class HttpUploader(
    private val connectTimeoutMillis: Int = 15_000,
    private val readTimeoutMillis: Int = 30_000,
) : Uploader {
    override fun upload(request: UploadRequest): UploadOutcome {
        val connection =
            try {
                URL(request.url).openConnection() as HttpURLConnection
            } catch (e: IOException) {
                return UploadOutcome.NetworkError(e.toString())
            }
        return try {
            connection.requestMethod = "POST"
            connection.doOutput = true
            connection.connectTimeout = connectTimeoutMillis
            connection.readTimeout = readTimeoutMillis
            connection.setFixedLengthStreamingMode(request.body.size)
            request.headers.forEach { connection.setRequestProperty(it.name, it.value) }
            connection.outputStream.use { it.write(request.body) }
            val status = connection.responseCode
            // Read the answer so the connection can be reused; its content is not needed.
            (if (status >= 400) connection.errorStream else connection.inputStream)?.use { it.readBytes() }
            UploadOutcome.Response(status.toUShort(), connection.getHeaderField("Retry-After"))
        } catch (e: IOException) {
            UploadOutcome.NetworkError(e.toString())
        } finally {
            connection.disconnect()
        }
    }
}
