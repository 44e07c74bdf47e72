#if canImport(CoreMotion) && !os(macOS)
    import CoreMotion
    import Foundation

    /// Accelerometer and gyroscope readings from CoreMotion, buffered per sensor and handed to
    /// Modicum in bulk, where they become windowed aggregates (sensors consent) and raw readings
    /// only with sensors_raw consent. Start it after the user granted sensors; stop it when they
    /// withdraw or the app no longer needs motion.
    public final class MotionRecorder: @unchecked Sendable {
        // @unchecked: the manager and queue are set up in init; CMMotionManager's start and stop
        // methods may be called from any thread, and readings arrive only on `queue`.
        private let manager = CMMotionManager()
        private let queue: OperationQueue
        private let accelerometer: SensorSampleBuffer
        private let gyroscope: SensorSampleBuffer
        private let interval: TimeInterval

        /// `interval` is seconds between readings; `bulk` readings go to the core per call.
        /// Readings are stamped with the wall clock on arrival (within one interval of when they
        /// were taken, well inside the core's one-minute windows) rather than converted from
        /// CoreMotion's time since boot, a required-reason API.
        public init(modicum: Modicum, interval: TimeInterval = 0.1, bulk: Int = 50) {
            self.interval = interval
            accelerometer = SensorSampleBuffer(sensor: "accelerometer", modicum: modicum, bulk: bulk)
            gyroscope = SensorSampleBuffer(sensor: "gyroscope", modicum: modicum, bulk: bulk)
            queue = OperationQueue()
            queue.name = "dev.modicum.motion"
            // One at a time, so each sensor's readings reach its buffer in order.
            queue.maxConcurrentOperationCount = 1
            queue.qualityOfService = .utility
        }

        deinit {
            stop()
        }

        public func start() {
            if manager.isAccelerometerAvailable {
                manager.accelerometerUpdateInterval = interval
                manager.startAccelerometerUpdates(to: queue) { [accelerometer] data, _ in
                    guard let data else { return }
                    accelerometer.add(
                        SensorReading(
                            atMs: Modicum.nowMillis(),
                            values: [data.acceleration.x, data.acceleration.y, data.acceleration.z]
                        ))
                }
            }
            if manager.isGyroAvailable {
                manager.gyroUpdateInterval = interval
                manager.startGyroUpdates(to: queue) { [gyroscope] data, _ in
                    guard let data else { return }
                    gyroscope.add(
                        SensorReading(
                            atMs: Modicum.nowMillis(),
                            values: [data.rotationRate.x, data.rotationRate.y, data.rotationRate.z]
                        ))
                }
            }
        }

        /// Stops the sensors and hands over what is buffered, after the readings already queued.
        public func stop() {
            manager.stopAccelerometerUpdates()
            manager.stopGyroUpdates()
            queue.addOperation { [accelerometer, gyroscope] in
                accelerometer.flush()
                gyroscope.flush()
            }
        }
    }
#endif
