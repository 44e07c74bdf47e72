package dev.modicum.android

import android.app.Activity
import android.app.Application
import dev.modicum.ConsentCategory
import dev.modicum.versionForCore
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config

/** Release health sessions driven by real activity lifecycles on Robolectric's main looper. */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class SessionLifecycleTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private var original: Thread.UncaughtExceptionHandler? = null

    @Before
    fun keepHandler() {
        original = Thread.getDefaultUncaughtExceptionHandler()
        // What would kill the process after the crash is recorded: nothing, here.
        Thread.setDefaultUncaughtExceptionHandler { _, _ -> }
    }

    @After
    fun restoreHandler() {
        Thread.setDefaultUncaughtExceptionHandler(original)
    }

    /** (started, ended, crashed, abnormal) for [version], summed over days. */
    private fun counts(
        modicum: dev.modicum.Modicum,
        version: String,
    ): List<Int> {
        val rows = modicum.sessionCountsBlocking().filter { it.version == version }
        return listOf(
            rows.sumOf { it.started.toInt() },
            rows.sumOf { it.ended.toInt() },
            rows.sumOf { it.crashed.toInt() },
            rows.sumOf { it.abnormal.toInt() },
        )
    }

    @Test
    fun sessionsFollowTheAppThroughForegroundAndBackground() {
        val test = TestModicum(app)
        test.start(test.config(appVersion = "4.2.0")).use { modicum ->
            modicum.setConsent(ConsentCategory.DIAGNOSTICS, true)
            val first = Robolectric.buildActivity(Activity::class.java).setup()
            // A second activity over the first: the same stay in the foreground.
            val second = Robolectric.buildActivity(Activity::class.java).setup()
            first.pause().stop()
            assertEquals(listOf(1, 0, 0, 0), counts(modicum, "4.2.0"))
            second.pause().stop()
            assertEquals(listOf(1, 1, 0, 0), counts(modicum, "4.2.0"))
            // Back to the foreground: a second session.
            Robolectric
                .buildActivity(Activity::class.java)
                .setup()
                .pause()
                .stop()
            assertEquals(listOf(2, 2, 0, 0), counts(modicum, "4.2.0"))
        }
    }

    @Test
    fun noSessionIsCountedWithoutDiagnostics() {
        val test = TestModicum(app)
        test.start(test.config(appVersion = "4.2.1")).use { modicum ->
            Robolectric
                .buildActivity(Activity::class.java)
                .setup()
                .pause()
                .stop()
            assertEquals(listOf(0, 0, 0, 0), counts(modicum, "4.2.1"))
        }
    }

    @Test
    fun anUncaughtExceptionEndsTheSessionCrashed() {
        val test = TestModicum(app)
        test.start(test.config(installCrashHandler = true, appVersion = "4.3.0")).use { modicum ->
            modicum.setConsent(ConsentCategory.DIAGNOSTICS, true)
            Robolectric.buildActivity(Activity::class.java).setup()
            Thread.getDefaultUncaughtExceptionHandler()!!.uncaughtException(
                Thread.currentThread(),
                IllegalStateException("cart is empty"),
            )
            assertEquals(listOf(1, 0, 1, 0), counts(modicum, "4.3.0"))
        }
    }

    @Test
    fun aProcessThatDiesInTheForegroundLeavesAnAbnormalSessionFoundAtTheNextStart() {
        val test = TestModicum(app)
        test.start(test.config(appVersion = "4.4.0")).use { modicum ->
            modicum.setConsent(ConsentCategory.DIAGNOSTICS, true)
            Robolectric.buildActivity(Activity::class.java).setup()
            assertEquals(listOf(1, 0, 0, 0), counts(modicum, "4.4.0"))
        }
        // The instance went away with the app in the foreground, as a killed process would.
        test.start(test.config(appVersion = "4.4.0")).use { again ->
            assertEquals(listOf(1, 0, 0, 1), counts(again, "4.4.0"))
        }
    }

    @Test
    fun thePackageVersionIsReducedToWhatTheCoreAccepts() {
        assertEquals("2.1.0 (build 7)", versionForCore("2.1.0 (build 7)"))
        assertEquals("3.0-rc1", versionForCore("3.0-rc1/\u7248"))
        assertNull(versionForCore("\u7248\u672c"))
        assertNull(versionForCore(null))
        assertTrue(versionForCore("9".repeat(100))!!.length == 64)
    }
}
