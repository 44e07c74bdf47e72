import Foundation

extension Modicum {
    /// Seals what was recorded into batches for upload now, rather than when a batch fills.
    public func sealNow(timeoutMillis: UInt32 = 5_000) throws {
        handOver()
        try core.sealNow(timeoutMs: timeoutMillis)
    }

    /// How many sealed batches wait for upload.
    public var pendingBatches: Int {
        Int(core.pendingBatches())
    }

    /// Uploads what is waiting through `uploader` until nothing is left or the next attempt is
    /// more than `budgetMillis` away. `conditions` defaults to ``currentConditions``. Call it
    /// from a background task (BGTaskScheduler), never the main thread: it waits for the network.
    public func uploadPending(
        conditions: UploadConditions? = nil,
        uploader: Uploader = URLSessionUploader(),
        budgetMillis: UInt64 = 30_000
    ) throws -> UploadReport {
        handOver()
        return try core.uploadPending(
            uploader: uploader, conditions: conditions ?? core.currentConditions(), budgetMs: budgetMillis
        )
    }
}
