package dev.modicum.android

import android.app.Application
import android.content.Context
import android.hardware.Sensor
import android.hardware.SensorManager
import android.os.SystemClock
import dev.modicum.ConsentCategory
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowSensor
import org.robolectric.shadows.ShadowSensorManager

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class SensorRecorderTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val sensors = shadowOf(app.getSystemService(Context.SENSOR_SERVICE) as SensorManager)

    /** An accelerometer reading [secondsAfterBoot] into the minute-long windows the core keeps. */
    private fun reading(
        secondsAfterBoot: Long,
        x: Float,
    ) {
        val event = ShadowSensorManager.createSensorEvent(3, Sensor.TYPE_ACCELEROMETER)
        event.timestamp = secondsAfterBoot * 1_000_000_000L
        floatArrayOf(x, 0f, 9.81f).copyInto(event.values)
        sensors.sendSensorEventToListeners(event)
    }

    @Test
    fun readingsCrossInBulkAndArriveAsWindowAggregates() {
        sensors.addSensor(ShadowSensor.newInstance(Sensor.TYPE_ACCELEROMETER))
        TestModicum(app).start().use { modicum ->
            modicum.setConsent(ConsentCategory.SENSORS, true)
            SensorRecorder(app, modicum, flushIntervalMillis = 60_000).use { recorder ->
                // Boot at a whole minute of wall-clock time, so the core's windows start at boot.
                recorder.wallClockMillis = { 1_700_000_040_000L + SystemClock.elapsedRealtime() }
                assertTrue(recorder.start(Sensor.TYPE_ACCELEROMETER))
                // Three readings in one minute, then one in a later minute that closes the first.
                reading(1, 1f)
                reading(10, 2f)
                reading(20, 3f)
                reading(130, 4f)
                assertEquals("buffered on the Kotlin side until a bulk or a flush", "[]", modicum.heldEventsJsonBlocking()!!)

                recorder.flush()

                assertEquals(1L, recorder.windowsClosed.get())
                val held = modicum.heldEventsJsonBlocking()!!
                assertTrue(held, held.contains("\"name\":\"sensor_window\""))
                assertTrue(held, held.contains("\"sensor\":\"accelerometer\""))
                assertTrue(held, held.contains("\"x_count\":3"))
                assertTrue(held, held.contains("\"x_mean\":2.0"))
                assertFalse("no raw samples without sensors_raw", held.contains("sensor_sample"))
            }
            assertTrue("close unregisters", sensors.listeners.isEmpty())
        }
    }

    @Test
    fun aFullBufferDropsAndCountsInsteadOfGrowing() {
        sensors.addSensor(ShadowSensor.newInstance(Sensor.TYPE_ACCELEROMETER))
        TestModicum(app).start().use { modicum ->
            SensorRecorder(app, modicum, bulkSize = 1_000, maxBuffered = 2, flushIntervalMillis = 60_000).use { recorder ->
                recorder.start(Sensor.TYPE_ACCELEROMETER)
                repeat(5) { reading(it.toLong(), it.toFloat()) }
                assertEquals(3L, recorder.droppedReadings.get())
            }
        }
    }

    @Test
    fun aMissingSensorIsReportedNotRegistered() {
        TestModicum(app).start().use { modicum ->
            SensorRecorder(app, modicum).use { recorder ->
                assertFalse(recorder.start(Sensor.TYPE_GYROSCOPE))
            }
        }
    }
}
