package dev.modicum.android

import android.content.Context
import android.hardware.Sensor
import android.hardware.SensorEvent
import android.hardware.SensorEventListener
import android.hardware.SensorManager
import android.os.SystemClock
import dev.modicum.Modicum
import dev.modicum.ffi.SensorReading
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.RejectedExecutionException
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong

/**
 * Listens to the sensors the app chooses and hands their readings to the core in bulk, where
 * they are folded into windows (min, max, mean, variance per axis) under `sensors` consent, and
 * kept raw only under `sensors_raw`.
 *
 * A sensor can report hundreds of readings a second, and a call into the core costs tens of
 * microseconds over JNA, so readings are copied into a buffer on the listener's thread and
 * crossed once per [bulkSize] readings or every [flushIntervalMillis], on a thread of its own.
 * A buffer that reaches [maxBuffered] (the core is behind) drops new readings and counts them
 * in [droppedReadings].
 */
class SensorRecorder
    @JvmOverloads
    constructor(
        context: Context,
        private val modicum: Modicum,
        private val bulkSize: Int = 256,
        private val maxBuffered: Int = 8_192,
        flushIntervalMillis: Long = 1_000,
    ) : AutoCloseable {
        private val sensors = (context.applicationContext ?: context).getSystemService(Context.SENSOR_SERVICE) as? SensorManager
        private val worker = backgroundThread("modicum-sensors")
        private val listeners = ConcurrentHashMap<Int, Listener>()
        private val closed = AtomicBoolean(false)

        /** Readings dropped because the buffer was full. */
        val droppedReadings = AtomicLong(0)

        /** Windows the core closed (and recorded) from these readings so far. */
        val windowsClosed = AtomicLong(0)

        /** Wall-clock time, which readings are placed on; tests fix it to place windows exactly. */
        internal var wallClockMillis: () -> Long = System::currentTimeMillis

        init {
            worker.scheduleWithFixedDelay(::drainAll, flushIntervalMillis, flushIntervalMillis, TimeUnit.MILLISECONDS)
        }

        /**
         * Starts listening to the default sensor of [sensorType] (a `Sensor.TYPE_…` constant) at
         * [samplingPeriodUs]; false if the device has no such sensor.
         */
        @JvmOverloads
        fun start(
            sensorType: Int,
            samplingPeriodUs: Int = SensorManager.SENSOR_DELAY_NORMAL,
        ): Boolean {
            val manager = sensors ?: return false
            check(!closed.get()) { "SensorRecorder is closed" }
            if (listeners.containsKey(sensorType)) return true
            val sensor = manager.getDefaultSensor(sensorType) ?: return false
            val listener = Listener(sensorName(sensor))
            if (!manager.registerListener(listener, sensor, samplingPeriodUs)) return false
            listeners[sensorType] = listener
            return true
        }

        /** Stops listening to [sensorType]; what it buffered still reaches the core. */
        fun stop(sensorType: Int) {
            val listener = listeners.remove(sensorType) ?: return
            sensors?.unregisterListener(listener)
            onWorker { listener.drain() }
        }

        /** Hands everything buffered to the core and returns once it has. */
        fun flush() {
            if (!closed.get()) worker.submit(::drainAll).get()
        }

        /** Stops every sensor and hands what was buffered to the core. */
        override fun close() {
            listeners.values.forEach { sensors?.unregisterListener(it) }
            try {
                flush()
            } finally {
                closed.set(true)
                listeners.clear()
                worker.shutdown()
            }
        }

        private fun drainAll() = listeners.values.forEach { it.drain() }

        /** Runs [task] on the worker; once closed, a late sensor callback must not throw. */
        private fun onWorker(task: () -> Unit) {
            try {
                worker.execute(task)
            } catch (_: RejectedExecutionException) {
                // Closed: what was buffered was drained by close.
            }
        }

        private inner class Listener(
            val name: String,
        ) : SensorEventListener {
            private val lock = Any()
            private var buffered = ArrayList<Pending>(bulkSize)

            /** On the sensor's thread: copy (the framework reuses the event) and move on. */
            override fun onSensorChanged(event: SensorEvent) {
                val full =
                    synchronized(lock) {
                        if (buffered.size >= maxBuffered) {
                            droppedReadings.incrementAndGet()
                            return
                        }
                        buffered.add(Pending(event.timestamp, event.values.copyOf(minOf(event.values.size, MAX_AXES))))
                        buffered.size == bulkSize
                    }
                if (full) onWorker(::drain)
            }

            override fun onAccuracyChanged(
                sensor: Sensor,
                accuracy: Int,
            ) = Unit

            /** On the worker: one call into the core for everything buffered. */
            fun drain() {
                val taken =
                    synchronized(lock) {
                        if (buffered.isEmpty()) return
                        buffered.also { buffered = ArrayList(bulkSize) }
                    }
                // Sensor timestamps count from boot; the core wants wall-clock time.
                val bootEpochNanos = wallClockMillis() * NANOS_PER_MILLI - SystemClock.elapsedRealtimeNanos()
                val readings =
                    taken.map { reading ->
                        SensorReading(
                            atMs = ((bootEpochNanos + reading.timestampNanos) / NANOS_PER_MILLI).coerceAtLeast(0).toULong(),
                            values = reading.values.map(Float::toDouble),
                        )
                    }
                try {
                    windowsClosed.addAndGet(modicum.core.recordSensorSamples(name, readings).toLong())
                } catch (e: Exception) {
                    modicum.config.onError(e)
                }
            }
        }

        private class Pending(
            val timestampNanos: Long,
            val values: FloatArray,
        )

        private companion object {
            /** The core folds at most four axes (x, y, z, w). */
            const val MAX_AXES = 4
            const val NANOS_PER_MILLI = 1_000_000L
        }
    }

/** A stable, readable name for [sensor]: the part of its string type after `android.sensor.`. */
internal fun sensorName(sensor: Sensor): String =
    sensor.stringType?.removePrefix("android.sensor.")?.takeIf { it.isNotEmpty() }
        ?: when (sensor.type) {
            Sensor.TYPE_ACCELEROMETER -> "accelerometer"
            Sensor.TYPE_GYROSCOPE -> "gyroscope"
            Sensor.TYPE_MAGNETIC_FIELD -> "magnetic_field"
            Sensor.TYPE_LIGHT -> "light"
            Sensor.TYPE_PRESSURE -> "pressure"
            else -> "type_${sensor.type}"
        }
