import Foundation

extension Modicum {
    /// Seals what was recorded into batches for upload now, rather than when a batch fills.
    /// Blocks.
    public func sealNow(timeout: TimeInterval = 5) throws {
        handOver()
        try core.sealNow(timeoutMs: timeout.millisecondsForCore)
    }

    /// How many sealed batches wait for upload. Blocks until start has opened the outbox.
    public var pendingBatches: Int {
        Int(core.pendingBatches())
    }

    /// Uploads what is waiting through `uploader` until nothing is left or the next attempt is
    /// more than `budget` seconds away. `conditions` defaults to ``currentConditions``. Call it
    /// from a background task (BGTaskScheduler), never the main thread: it waits for the network.
    public func uploadPending(
        conditions: UploadConditions? = nil,
        uploader: Uploader = URLSessionUploader(),
        budget: TimeInterval = 30
    ) throws -> UploadReport {
        handOver()
        return try core.uploadPending(
            uploader: uploader, conditions: conditions ?? core.currentConditions(),
            budgetMs: UInt64(timeout: budget)
        )
    }
}
