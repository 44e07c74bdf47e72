package dev.modicum

import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Test
import java.io.ByteArrayOutputStream
import java.io.File
import java.math.BigInteger
import java.nio.ByteBuffer
import java.security.KeyFactory
import java.security.spec.NamedParameterSpec
import java.security.spec.XECPrivateKeySpec
import java.security.spec.XECPublicKeySpec
import java.util.zip.Inflater
import javax.crypto.Cipher
import javax.crypto.KeyAgreement
import javax.crypto.Mac
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec

/**
 * The wire-format vectors in tests/vectors (wire.json in format 2, wire-v1.json in format 1),
 * decoded with nothing but the JDK and docs/wire-format.md: header (section 1), HPKE base mode with X25519, HKDF-SHA256 and
 * AES-128-GCM (section 3), raw inflate with the preset dictionary (section 4), and the
 * MessagePack payload (section 5). An independent decoder in another language: what a
 * collector team would write from the document alone.
 */
class WireVectorTest {
    @Test
    fun theSealedVectorDecodesToItsBatchWithTheJdkAlone() = check("wire.json", format = 2)

    @Test
    fun theFormat1VectorStillDecodesToTheSameBatch() = check("wire-v1.json", format = 1)

    private fun check(
        file: String,
        format: Int,
    ) {
        val dir = System.getProperty("modicum.vectors") ?: error("-Dmodicum.vectors is not set")
        val vector = JSONObject(File(dir, file).readText())
        val sealed = hex(vector.getString("sealed_hex"))
        val header = Header.parse(sealed)
        assertEquals("format version", format, header.format)
        assertEquals("event count in the header", 5, header.eventCount)
        assertEquals("created at", 1_795_300_000_000L, header.createdAtMs)
        val payload = open(sealed, header, hex(vector.getString("collector_private_key")), hex(vector.getString("collector_public_key")))
        val packed = inflate(payload, hex(vector.getString("dictionary_hex")))
        assertEquals("the MessagePack layer", vector.getString("payload_msgpack_hex"), packed.joinToString("") { "%02x".format(it) })
        val decoded = decodePayload(MessagePack(packed).read())
        val expected = plainJson(vector.getJSONObject("batch"))
        assertEquals(expected.toString(), true, sameJson(expected, decoded))
        // JSON equality takes -0.0 for 0.0: the sign must survive the wire, bit for bit.
        val request = (decoded["events"] as List<*>).map { it as Map<*, *> }.single { it["name"] == "request" }
        val properties = request["properties"] as Map<*, *>
        assertEquals(java.lang.Double.doubleToRawLongBits(-0.0), java.lang.Double.doubleToRawLongBits(properties["zero"] as Double))
        assertEquals(16.285714285714285, properties["average"] as Double, 0.0)
    }

    // Section 1: the header of either format, and where the ciphertext starts.
    private class Header(
        val format: Int,
        val length: Int,
        val aead: Int,
        val keyId: ByteArray,
        val batchId: ByteArray,
        val enc: ByteArray,
        val eventCount: Int,
        val createdAtMs: Long,
    ) {
        companion object {
            fun parse(sealed: ByteArray): Header {
                require(sealed.size >= 5 && String(sealed, 0, 4, Charsets.US_ASCII) == "MDCM")
                val bytes = ByteBuffer.wrap(sealed)
                return when (val format = sealed[4].toInt()) {
                    2 -> {
                        require(sealed.size >= 56 + 16)
                        val enc = sealed.copyOfRange(14, 46)
                        val created = ByteArray(2) + sealed.copyOfRange(50, 56)
                        val batchId =
                            java.security.MessageDigest
                                .getInstance("SHA-256")
                                .digest("modicum/batch-id/v2".toByteArray() + enc)
                                .copyOf(16)
                        Header(
                            2,
                            56,
                            sealed[5].toInt(),
                            sealed.copyOfRange(6, 14),
                            batchId,
                            enc,
                            bytes.getInt(46),
                            ByteBuffer.wrap(created).long,
                        )
                    }
                    1 -> {
                        require(sealed.size >= 79 && bytes.getInt(75) == sealed.size - 79)
                        Header(
                            1,
                            79,
                            bytes.getShort(5).toInt(),
                            sealed.copyOfRange(7, 15),
                            sealed.copyOfRange(15, 31),
                            sealed.copyOfRange(31, 63),
                            bytes.getInt(63),
                            bytes.getLong(67),
                        )
                    }
                    else -> error("unknown format $format")
                }
            }
        }
    }

    // Section 3: the header is the AAD; HPKE base mode, single shot, sequence number 0.
    private fun open(
        sealed: ByteArray,
        header: Header,
        privateKey: ByteArray,
        publicKey: ByteArray,
    ): ByteArray {
        require(header.aead == 0x0001) { "AES-128-GCM" }
        val enc = header.enc
        val dh = x25519(privateKey, enc)
        val kemSuite = "KEM".toByteArray() + i2osp(0x0020, 2)
        val eaePrk = labeledExtract(kemSuite, ByteArray(0), "eae_prk", dh)
        val sharedSecret = labeledExpand(kemSuite, eaePrk, "shared_secret", enc + publicKey, 32)
        val suite = "HPKE".toByteArray() + i2osp(0x0020, 2) + i2osp(0x0001, 2) + i2osp(0x0001, 2)
        val info = "modicum/batch/v1".toByteArray() + header.keyId + header.batchId
        val context =
            byteArrayOf(0) + labeledExtract(suite, ByteArray(0), "psk_id_hash", ByteArray(0)) +
                labeledExtract(suite, ByteArray(0), "info_hash", info)
        val secret = labeledExtract(suite, sharedSecret, "secret", ByteArray(0))
        val key = labeledExpand(suite, secret, "key", context, 16)
        val nonce = labeledExpand(suite, secret, "base_nonce", context, 12)
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, SecretKeySpec(key, "AES"), GCMParameterSpec(128, nonce))
        cipher.updateAAD(sealed, 0, header.length)
        return cipher.doFinal(sealed, header.length, sealed.size - header.length)
    }

    private fun x25519(
        privateKey: ByteArray,
        peer: ByteArray,
    ): ByteArray {
        val factory = KeyFactory.getInstance("XDH")
        val private = factory.generatePrivate(XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey))
        // RFC 7748: the u-coordinate is little-endian, its top bit ignored.
        val u = peer.reversedArray().also { it[0] = (it[0].toInt() and 0x7f).toByte() }
        val public = factory.generatePublic(XECPublicKeySpec(NamedParameterSpec.X25519, BigInteger(1, u)))
        return KeyAgreement.getInstance("XDH").run {
            init(private)
            doPhase(public, true)
            generateSecret()
        }
    }

    private fun hmac(
        key: ByteArray,
        data: ByteArray,
    ): ByteArray =
        // HKDF-Extract with no salt uses HashLen zeros (RFC 5869), which HMAC treats as the empty key.
        Mac.getInstance("HmacSHA256").run {
            init(SecretKeySpec(if (key.isEmpty()) ByteArray(32) else key, "HmacSHA256"))
            doFinal(data)
        }

    private fun labeledExtract(
        suite: ByteArray,
        salt: ByteArray,
        label: String,
        ikm: ByteArray,
    ) = hmac(salt, "HPKE-v1".toByteArray() + suite + label.toByteArray() + ikm)

    private fun labeledExpand(
        suite: ByteArray,
        prk: ByteArray,
        label: String,
        info: ByteArray,
        length: Int,
    ): ByteArray {
        val labeled = i2osp(length, 2) + "HPKE-v1".toByteArray() + suite + label.toByteArray() + info
        val out = ByteArrayOutputStream()
        var t = ByteArray(0)
        var counter = 1
        while (out.size() < length) {
            t = hmac(prk, t + labeled + byteArrayOf(counter++.toByte()))
            out.write(t)
        }
        return out.toByteArray().copyOf(length)
    }

    private fun i2osp(
        value: Int,
        length: Int,
    ) = ByteArray(length) { (value shr (8 * (length - 1 - it))).toByte() }

    // Section 4: raw deflate, the dictionary set before the first byte.
    private fun inflate(
        data: ByteArray,
        dictionary: ByteArray,
    ): ByteArray {
        val inflater = Inflater(true)
        inflater.setDictionary(dictionary)
        inflater.setInput(data + byteArrayOf(0)) // raw streams want one spare input byte
        val out = ByteArrayOutputStream()
        val buffer = ByteArray(4096)
        while (!inflater.finished()) {
            val n = inflater.inflate(buffer)
            require(n > 0 || !inflater.needsInput()) { "truncated deflate stream" }
            out.write(buffer, 0, n)
        }
        return out.toByteArray()
    }

    // Section 5.
    private val categories =
        listOf(
            "essential",
            "diagnostics",
            "analytics",
            "identifiers",
            "location",
            "location_precise",
            "sensors",
            "sensors_raw",
            "advertising",
            "cross_border",
        )

    @Suppress("UNCHECKED_CAST")
    private fun decodePayload(payload: Any?): Map<String, Any?> {
        val (schema, meta, strings, groups) = payload as List<Any?>
        // Schema 2 has schema 1's layout; its install pseudonym is a deletion token's hash.
        assertEquals(2L, schema)
        val table = strings as List<String>

        fun text(index: Any?) = table[(index as Long).toInt()]
        val (appId, install, sdk, created, device) = meta as List<Any?>
        val events =
            (groups as List<List<Any?>>)
                .flatMap { group ->
                    val (name, category, basis, firstMs, deltas) = group
                    val columns = group[5]
                    var at = firstMs as Long
                    val times =
                        (deltas as List<Long>).mapIndexed { i, d ->
                            if (i == 0) {
                                at
                            } else {
                                at += d
                                at
                            }
                        }
                    val properties = times.map { mutableMapOf<String, Any?>() }
                    for (column in columns as List<List<Any?>>) {
                        val key = text(column[0])
                        val (kind, cells) = (column[1] as Map<String, Any?>).entries.single()
                        val values: List<Any?> =
                            when (kind) {
                                "Decimal" ->
                                    (cells as List<Any?>).let { (scale, ns) ->
                                        (ns as List<Long?>).map { n ->
                                            n?.let { it.toDouble() / Math.pow(10.0, (scale as Long).toDouble()) }
                                        }
                                    }
                                "Text" -> (cells as List<Any?>).map { it?.let(::text) }
                                "Location" ->
                                    (cells as List<List<Double>?>).map {
                                        it?.let { (lat, lon) ->
                                            mapOf("lat" to lat, "lon" to lon)
                                        }
                                    }
                                "Mixed" -> (cells as List<Any?>).map { it?.let { cell -> cellValue(cell as Map<String, Any?>, ::text) } }
                                else -> cells as List<Any?>
                            }
                        require(values.size == times.size) { "a column's length differs from its group's" }
                        values.forEachIndexed { i, v -> if (v != null) properties[i][key] = v }
                    }
                    times.mapIndexed { i, t ->
                        mapOf(
                            "name" to text(name),
                            "category" to categories[(category as Long).toInt()],
                            "basis" to if (basis == 1L) "essential" else "consent",
                            "recorded_at_ms" to t,
                            "properties" to properties[i],
                        )
                    }
                }.sortedBy { it["recorded_at_ms"] as Long }
        return mapOf(
            "meta" to
                mapOf(
                    "app_id" to text(appId),
                    "install" to install?.let(::text),
                    "sdk_version" to text(sdk),
                    "created_at_ms" to created,
                    "device" to (device as List<List<Any?>>).associate { (k, v) -> text(k) to cellValue(v as Map<String, Any?>, ::text) },
                ),
            "events" to events,
        )
    }

    @Suppress("UNCHECKED_CAST")
    private fun cellValue(
        cell: Map<String, Any?>,
        text: (Any?) -> String,
    ): Any? {
        val (kind, value) = cell.entries.single()
        return when (kind) {
            "Text" -> text(value)
            "Location" -> (value as List<Double>).let { (lat, lon) -> mapOf("lat" to lat, "lon" to lon) }
            else -> value
        }
    }

    /** A MessagePack reader for what section 5 uses. */
    private class MessagePack(
        private val bytes: ByteArray,
    ) {
        private var at = 0

        private fun u8() = bytes[at++].toInt() and 0xff

        private fun be(n: Int): Long {
            var v = 0L
            repeat(n) { v = (v shl 8) or u8().toLong() }
            return v
        }

        private fun str(n: Int) = String(bytes, at, n, Charsets.UTF_8).also { at += n }

        private fun list(n: Int) = List(n) { read() }

        private fun map(n: Int) = (0 until n).associate { read() as String to read() }

        fun read(): Any? {
            val b = u8()
            return when {
                b <= 0x7f -> b.toLong()
                b in 0x80..0x8f -> map(b and 0x0f)
                b in 0x90..0x9f -> list(b and 0x0f)
                b in 0xa0..0xbf -> str(b and 0x1f)
                b >= 0xe0 -> (b - 0x100).toLong()
                else ->
                    when (b) {
                        0xc0 -> null
                        0xc2 -> false
                        0xc3 -> true
                        0xca ->
                            java.lang.Float
                                .intBitsToFloat(be(4).toInt())
                                .toDouble()
                        0xcb -> java.lang.Double.longBitsToDouble(be(8))
                        0xcc -> be(1)
                        0xcd -> be(2)
                        0xce -> be(4)
                        0xcf -> be(8)
                        0xd0 -> be(1).toByte().toLong()
                        0xd1 -> be(2).toShort().toLong()
                        0xd2 -> be(4).toInt().toLong()
                        0xd3 -> be(8)
                        0xd9 -> str(be(1).toInt())
                        0xda -> str(be(2).toInt())
                        0xdb -> str(be(4).toInt())
                        0xdc -> list(be(2).toInt())
                        0xdd -> list(be(4).toInt())
                        0xde -> map(be(2).toInt())
                        0xdf -> map(be(4).toInt())
                        else -> error("MessagePack type 0x${b.toString(16)} is not used by schema 2")
                    }
            }
        }
    }

    private fun hex(s: String) = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }
}
