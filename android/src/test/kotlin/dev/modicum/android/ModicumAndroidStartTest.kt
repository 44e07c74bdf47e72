package dev.modicum.android

import android.app.Application
import org.robolectric.RuntimeEnvironment
import dev.modicum.ConsentCategory
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertSame
import org.junit.Assert.assertTrue
import org.junit.Assert.assertNull
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class ModicumAndroidStartTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val modicum = TestModicum(app)

    @Test
    fun consentGivenAfterStartGovernsWhatIsHeldAndSurvivesARestart() {
        modicum.start().use { running ->
            assertFalse("nothing without consent", running.record("opened"))
            running.setConsent(ConsentCategory.ANALYTICS, true)
            assertTrue(running.record("checkout", mapOf("note" to "mail ann@example.org")))
            val held = running.heldEventsJson()
            assertTrue(held, held.contains("\"name\":\"checkout\""))
            assertTrue(held, held.contains("[email]"))
            assertFalse(held, held.contains("ann@example.org"))
            assertSame(running, RunningModicum.current)
        }
        assertNull("closing clears the process-wide holder", RunningModicum.current)
        modicum.start().use { again ->
            assertEquals(setOf("analytics"), again.permittedCategories)
            assertTrue(again.heldEventsJson().contains("\"name\":\"checkout\""))
        }
        assertEquals(emptyList<Throwable>(), modicum.errors)
    }
}
