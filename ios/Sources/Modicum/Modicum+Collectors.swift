import Foundation

extension Modicum {
    /// Records a crash the app caught itself (a fatal error it is about to end the process
    /// for) and returns once it is durable, or after `timeout` seconds. What was recorded before
    /// it reaches the core first. Returns false if the user's consent does not allow it.
    @discardableResult
    public func recordCrash(
        kind: String, message: String, frames: [String] = Thread.callStackSymbols,
        thread: String? = nil, timeout: TimeInterval = 2
    ) throws -> Bool {
        handOver()
        return try core.recordCrash(
            report: CrashReport(kind: kind, message: message, frames: frames, thread: thread, atMs: Self.nowMillis()),
            timeoutMs: timeout.millisecondsForCore
        )
    }

    /// Records a change of connectivity (diagnostics): connected, kind, metered, and the
    /// carrier and address only as the policy allows. ``ConnectivityReporting`` providers
    /// call this themselves.
    @discardableResult
    public func recordConnectivity(_ state: NetworkState) throws -> Bool {
        try core.recordConnectivity(state: state)
    }

    /// Folds readings of `sensor` into windows on the device (sensors consent; raw readings
    /// are kept only with sensors_raw). Pass many readings per call: ``SensorSampleBuffer``
    /// does. Returns how many windows closed.
    @discardableResult
    public func recordSensorSamples(sensor: String, readings: [SensorReading]) throws -> UInt32 {
        try core.recordSensorSamples(sensor: sensor, readings: readings)
    }

    /// Upload conditions as the network provider and the device's battery report them (ideal
    /// without a network provider).
    public var currentConditions: UploadConditions {
        core.currentConditions()
    }

    /// The crash handler's path: whatever the buffer holds goes first unless a drain is under
    /// way (possibly on the crashing thread), then the report, durably. Nothing is thrown:
    /// the process is dying and the previous handler must still run.
    func recordCrashDurably(_ report: CrashReport, timeout: TimeInterval = 2) {
        buffer.drainIfIdle()
        do {
            _ = try core.recordCrash(report: report, timeoutMs: timeout.millisecondsForCore)
        } catch let error as ModicumError {
            onError?(error)
        } catch {
            onError?(.Platform(reason: "\(error)"))
        }
    }

    func recordConnectivityChange(_ state: NetworkState) {
        do {
            _ = try core.recordConnectivity(state: state)
        } catch let error as ModicumError {
            onError?(error)
        } catch {
            onError?(.Platform(reason: "\(error)"))
        }
    }

    static func nowMillis() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }
}
