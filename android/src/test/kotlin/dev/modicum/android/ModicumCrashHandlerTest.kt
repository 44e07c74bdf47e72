package dev.modicum.android

import android.app.Application
import dev.modicum.ConsentCategory
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertSame
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class ModicumCrashHandlerTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val calls = mutableListOf<Pair<Thread, Throwable>>()
    private val previous = Thread.UncaughtExceptionHandler { thread, throwable -> calls.add(thread to throwable) }
    private var original: Thread.UncaughtExceptionHandler? = null

    @Before
    fun installPrevious() {
        original = Thread.getDefaultUncaughtExceptionHandler()
        Thread.setDefaultUncaughtExceptionHandler(previous)
    }

    @After
    fun restore() {
        Thread.setDefaultUncaughtExceptionHandler(original)
    }

    private fun crash(): IllegalStateException =
        IllegalStateException("checkout failed for ann@example.org", RuntimeException("socket closed"))

    @Test
    fun aCrashIsDurableBeforeThePreviousHandlerRuns() {
        val modicum = TestModicum(app)
        val thread = Thread({}, "checkout-worker")
        val error = crash()
        modicum.start(modicum.config(installCrashHandler = true)).use { running ->
            running.setConsent(ConsentCategory.DIAGNOSTICS, true)
            val handler = Thread.getDefaultUncaughtExceptionHandler()
            assertTrue(handler is ModicumCrashHandler)

            handler!!.uncaughtException(thread, error)

            assertEquals(1, calls.size)
            assertSame(thread, calls[0].first)
            assertSame(error, calls[0].second)
        }
        assertSame("closing puts the previous handler back", previous, Thread.getDefaultUncaughtExceptionHandler())
        // A new core on the same storage reads the report from disk: it was durable.
        modicum.start().use { again ->
            val held = again.heldEventsJsonBlocking()!!
            assertTrue(held, held.contains("\"name\":\"crash\""))
            assertTrue(held, held.contains("java.lang.IllegalStateException"))
            assertTrue(held, held.contains("checkout-worker"))
            assertTrue(held, held.contains("Caused by: java.lang.RuntimeException: socket closed"))
            assertFalse("the message is scrubbed", held.contains("ann@example.org"))
        }
    }

    @Test
    fun thePreviousHandlerRunsEvenWhenRecordingFails() {
        val handler = ModicumCrashHandler(record = { throw IllegalStateException("core gone") }, previous = previous)
        val error = crash()
        handler.uncaughtException(Thread.currentThread(), error)
        assertEquals(listOf(Thread.currentThread() to error as Throwable), calls)
    }

    @Test
    fun theReportCarriesTypeMessageThreadAndTheCauseChain() {
        val report = crashReport(Thread({}, "main"), crash(), atMillis = 42)
        assertEquals("java.lang.IllegalStateException", report.kind)
        assertEquals("checkout failed for ann@example.org", report.message)
        assertEquals("main", report.thread)
        assertEquals(42uL, report.atMs)
        assertTrue(report.frames.first().startsWith("at dev.modicum.android.ModicumCrashHandlerTest.crash"))
        assertTrue(report.frames.contains("Caused by: java.lang.RuntimeException: socket closed"))
    }
}
