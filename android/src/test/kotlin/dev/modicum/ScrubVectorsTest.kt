package dev.modicum

import dev.modicum.ffi.scrub
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File

/** The scrubbing corpus in tests/vectors/scrub.json, through the bindings: same results as Rust. */
class ScrubVectorsTest {
    @Test
    fun everyCaseScrubsAsTheCorpusSays() {
        val dir = System.getProperty("modicum.vectors") ?: error("-Dmodicum.vectors is not set")
        val cases = JSONObject(File(dir, "scrub.json").readText()).getJSONArray("cases")
        assertTrue("the corpus is not empty", cases.length() > 0)
        val mismatches =
            (0 until cases.length()).map { cases.getJSONObject(it) }.mapNotNull { case ->
                val actual = scrub(case.getString("input"))
                if (actual == case.getString("expected")) null else "${case.getString("name")}: got <$actual>"
            }
        assertEquals("mismatches:\\n" + mismatches.joinToString("\\n"), 0, mismatches.size)
    }
}
