/// Readings of one sensor wait here and go to Modicum in bulk: a motion sensor delivers tens
/// of readings a second, and the core folds them into windows whatever the batch size, so one
/// call per `bulk` readings does the same work for a fraction of the crossings.
///
/// Feed it from one queue (CoreMotion's handler queue), so batches arrive in time order.
public final class SensorSampleBuffer: Sendable {
    private let sensor: String
    private let bulk: Int
    private let readings: Locked<[SensorReading]>
    private let deliver: @Sendable (String, [SensorReading]) -> Void

    /// Errors go to `modicum`'s ``Modicum/Configuration/onError``.
    public convenience init(sensor: String, modicum: Modicum, bulk: Int = 50) {
        self.init(sensor: sensor, bulk: bulk) { [weak modicum] sensor, readings in
            modicum?.recordSensorBatch(sensor: sensor, readings: readings)
        }
    }

    init(sensor: String, bulk: Int, deliver: @escaping @Sendable (String, [SensorReading]) -> Void) {
        precondition(bulk > 0, "bulk must be positive")
        self.sensor = sensor
        self.bulk = bulk
        self.readings = Locked([])
        self.deliver = deliver
    }

    /// Adds one reading; every `bulk`-th hands the batch over on the calling thread.
    public func add(_ reading: SensorReading) {
        let full = readings.withLock { pending -> [SensorReading]? in
            pending.append(reading)
            guard pending.count >= bulk else { return nil }
            defer { pending = [] }
            return pending
        }
        if let full { deliver(sensor, full) }
    }

    /// Hands over what is waiting (when the sensor stops, or before a flush).
    public func flush() {
        let rest = readings.withLock { pending -> [SensorReading] in
            defer { pending = [] }
            return pending
        }
        if !rest.isEmpty { deliver(sensor, rest) }
    }
}

extension Modicum {
    func recordSensorBatch(sensor: String, readings: [SensorReading]) {
        do {
            _ = try core.recordSensorSamples(sensor: sensor, readings: readings)
        } catch let error as ModicumError {
            onError?(error)
        } catch {
            onError?(.Platform(reason: "\(error)"))
        }
    }
}
