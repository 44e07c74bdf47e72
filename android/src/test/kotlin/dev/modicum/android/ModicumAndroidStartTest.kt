package dev.modicum.android

import android.app.Application
import android.content.Context
import android.net.ConnectivityManager
import dev.modicum.ConsentCategory
import dev.modicum.Modicum
import dev.modicum.ffi.ModicumException
import dev.modicum.installsNativeCrashHandler
import dev.modicum.start
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertSame
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.io.File

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
            val held = running.heldEventsJsonBlocking()!!
            assertTrue(held, held.contains("\"name\":\"checkout\""))
            assertTrue(held, held.contains("[email]"))
            assertFalse(held, held.contains("ann@example.org"))
            assertSame(running, RunningModicum.current)
        }
        assertNull("closing clears the process-wide holder", RunningModicum.current)
        modicum.start().use { again ->
            assertEquals(setOf(ConsentCategory.ANALYTICS), again.permittedCategories)
            assertTrue(again.heldEventsJsonBlocking()!!.contains("\"name\":\"checkout\""))
        }
        assertEquals(emptyList<Throwable>(), modicum.errors)
    }

    @Test
    fun aStartThatFailsReportsAndReturnsNullWithoutLeavingCallbacksBehind() {
        val blocked = File(app.filesDir, "not-a-directory").apply { writeText("a file where storage should go") }
        val connectivity = shadowOf(app.getSystemService(Context.CONNECTIVITY_SERVICE) as ConnectivityManager)
        val before = connectivity.networkCallbacks.size

        val started = Modicum.start(app, modicum.config(storageDir = blocked))

        assertNull(started)
        assertTrue(modicum.errors.toString(), modicum.errors.single() is ModicumException.StorageUnusable)
        assertEquals(before, connectivity.networkCallbacks.size)
        assertNull(RunningModicum.current)
    }

    @Test
    fun theNativeCrashHandlerGoesInOnlyOnAndroidsRuntime() {
        val crashes = modicum.config(installCrashHandler = true)
        assertTrue(installsNativeCrashHandler(crashes, vmName = "Dalvik"))
        assertFalse(
            "a desktop JVM handles SIGSEGV itself",
            installsNativeCrashHandler(crashes, vmName = "OpenJDK 64-Bit Server VM"),
        )
        assertFalse(installsNativeCrashHandler(modicum.config(installCrashHandler = false), vmName = "Dalvik"))
        assertFalse("this test's JVM", installsNativeCrashHandler(crashes))
    }
}
