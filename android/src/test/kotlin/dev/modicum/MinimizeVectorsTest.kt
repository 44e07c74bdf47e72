package dev.modicum

import dev.modicum.ffi.AgeBand
import dev.modicum.ffi.CustomEvent
import dev.modicum.ffi.DataClass
import dev.modicum.ffi.ModicumConfig
import dev.modicum.ffi.ModicumCore
import dev.modicum.ffi.PropertyValue
import org.json.JSONArray
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import java.nio.file.Files

/**
 * The minimization vectors in tests/vectors/minimize.json, through the bindings: a fresh
 * install per case, the case's grants and age band, one event, then what is held. Rust and
 * Swift check the same cases.
 */
class MinimizeVectorsTest {
    private val pseudonym = Regex("^p1_[0-9a-f]{32}$")

    @Test
    fun everyCaseMinimizesAsTheVectorsSay() {
        val dir = System.getProperty("modicum.vectors") ?: error("-Dmodicum.vectors is not set")
        val cases = JSONObject(File(dir, "minimize.json").readText()).getJSONArray("cases")
        assertTrue("at least 20 cases", cases.length() >= 20)
        val mismatches =
            (0 until cases.length()).map { cases.getJSONObject(it) }.mapNotNull { case ->
                val expected = case.get("expected")
                val actual = outcome(case)
                if (sameJson(
                        plainJson(expected),
                        plainJson(actual),
                    )
                ) {
                    null
                } else {
                    "${case.getString("name")}:\n  expected $expected\n  actual   $actual"
                }
            }
        assertEquals(mismatches.joinToString("\n"), 0, mismatches.size)
    }

    private fun outcome(case: JSONObject): Any {
        val dir = Files.createTempDirectory("modicum-vectors").toFile()
        try {
            ModicumCore.start(ModicumConfig(storageDir = dir.path, appId = "dev.modicum.vectors")).use { core ->
                core.setAge(AgeBand.valueOf(case.getString("age").uppercase()), case.optBoolean("guardian_consent"))
                val grants = case.getJSONArray("grants")
                for (i in 0 until grants.length()) core.setConsent(grants.getString(i), true)
                core.recordEvent(event(case.getJSONObject("event")))
                core.flush(10_000u)
                val held = JSONArray(core.heldEventsJson())
                if (held.length() == 0) return JSONObject.NULL
                assertEquals("one event held", 1, held.length())
                val one = held.getJSONObject(0)
                return JSONObject()
                    .put("category", one.get("category"))
                    .put("basis", one.get("basis"))
                    .put("properties", normalized(one.getJSONObject("properties")))
            }
        } finally {
            dir.deleteRecursively()
        }
    }

    private fun event(spec: JSONObject): CustomEvent {
        val properties = spec.getJSONObject("properties")
        val classes = spec.optJSONObject("classes") ?: JSONObject()
        return CustomEvent(
            name = spec.getString("name"),
            category = spec.optString("category").ifEmpty { null },
            properties = properties.keyList().associateWith { value(properties.getJSONObject(it)) },
            // "device.basic" names DataClass.DEVICE_BASIC.
            classes =
                classes.keyList().associateWith {
                    DataClass.valueOf(classes.getString(it).replace('.', '_').uppercase())
                },
        )
    }

    private fun value(v: JSONObject): PropertyValue {
        val kind = v.keys().next()
        return when (kind) {
            "text" -> PropertyValue.Text(v.getString(kind))
            "int" -> PropertyValue.Int(v.getLong(kind))
            "double" -> PropertyValue.Double(v.getDouble(kind))
            "bool" -> PropertyValue.Bool(v.getBoolean(kind))
            "location" -> v.getJSONArray(kind).let { PropertyValue.Location(it.getDouble(0), it.getDouble(1)) }
            else -> error("unknown value kind $kind")
        }
    }

    /** Pseudonyms differ per install: compared by shape, as the vectors write them. */
    private fun normalized(properties: JSONObject): JSONObject {
        for (key in properties.keyList().toList()) {
            val v = properties.get(key)
            if (v is String && pseudonym.matches(v)) properties.put(key, "<pseudonym>")
        }
        return properties
    }
}
