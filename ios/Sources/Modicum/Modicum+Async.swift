import Foundation

/// The calls that wait (for the disk, Modicum's worker, the network), as `async` functions
/// that wait on a background queue instead of the caller's thread. Each has a blocking form
/// of the same name for code already off the main thread; in an `async` context Swift picks
/// these.
extension Modicum {
    /// Returns once everything recorded before it is durable, or after `timeout` seconds.
    public func flush(timeout: TimeInterval = 5) async throws {
        try await offCallerThread { try self.flush(timeout: timeout) }
    }

    /// Seals what was recorded into batches for upload now, rather than when a batch fills.
    public func sealNow(timeout: TimeInterval = 5) async throws {
        try await offCallerThread { try self.sealNow(timeout: timeout) }
    }

    /// A readable JSON copy of everything held on the device (the user's right to a copy).
    public func export() async throws -> String {
        try await offCallerThread { try self.export() }
    }

    /// Erases everything held on the device and queues a deletion request for the collector;
    /// when it returns, the erasure is on disk.
    public func deleteAll() async throws {
        try await offCallerThread { try self.deleteAll() }
    }

    /// New identifiers from now on, unlinkable to the old ones.
    public func resetIdentifiers() async throws {
        try await offCallerThread { try self.resetIdentifiers() }
    }

    /// The session counts not yet reported, per app version and day.
    public func sessionCounts() async -> [SessionCount] {
        await offCallerThread { self.sessionCounts() }
    }

    /// The minimized events held on the device, as a JSON array: what would leave it.
    public func heldEventsJSON() async throws -> String {
        try await offCallerThread { try self.heldEventsJSON() }
    }

    /// The privacy ledger: what was kept, dropped or purged, per category, as JSON.
    public func ledgerJSON() async -> String {
        await offCallerThread { self.ledgerJSON() }
    }

    /// How many sealed batches wait for upload.
    public func pendingBatches() async -> Int {
        await offCallerThread { self.pendingBatches }
    }

    /// Uploads what is waiting (see the blocking form); from a BGTaskScheduler task, say.
    public func uploadPending(
        conditions: UploadConditions? = nil,
        uploader: Uploader = URLSessionUploader(),
        budget: TimeInterval = 30
    ) async throws -> UploadReport {
        try await offCallerThread {
            try self.uploadPending(conditions: conditions, uploader: uploader, budget: budget)
        }
    }
}

/// Runs `work` on a global queue and resumes the caller with its result.
func offCallerThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .utility).async {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// ``offCallerThread(_:)`` for work that cannot throw.
func offCallerThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .utility).async {
            continuation.resume(returning: work())
        }
    }
}
