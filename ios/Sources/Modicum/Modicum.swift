import Foundation

/// The Swift face of Modicum. Errors in what the app passes are thrown as ``ModicumError``
/// cases (for example ``ModicumError/EmptyEventName``); nothing else is thrown.
public final class Modicum: Sendable {
    /// What ``Modicum/start(_:)`` needs: a directory private to the app, the app's id, and
    /// optionally the app's own policy document (JSON or TOML; the built-in policy otherwise).
    public struct Configuration: Sendable {
        public var storageDirectory: URL
        public var appID: String
        public var policyDocument: String?
        /// Days pseudonyms last before they rotate; 30 if nil.
        public var pseudonymRotationDays: UInt32?
        /// The collector's X25519 public key (32 bytes); without it nothing is sealed for upload.
        public var collectorPublicKey: Data?
        /// Collector base URLs by region; the first one's region is home unless `homeRegion` says.
        public var endpoints: [Endpoint]
        public var homeRegion: String?

        public init(
            storageDirectory: URL, appID: String, policyDocument: String? = nil,
            pseudonymRotationDays: UInt32? = nil, collectorPublicKey: Data? = nil,
            endpoints: [Endpoint] = [], homeRegion: String? = nil
        ) {
            self.storageDirectory = storageDirectory
            self.appID = appID
            self.policyDocument = policyDocument
            self.pseudonymRotationDays = pseudonymRotationDays
            self.collectorPublicKey = collectorPublicKey
            self.endpoints = endpoints
            self.homeRegion = homeRegion
        }
    }

    private let core: ModicumCore

    private init(core: ModicumCore) {
        self.core = core
    }

    /// Starts Modicum; throws ``ModicumError/StorageUnusable`` or ``ModicumError/InvalidConfig``.
    public static func start(_ configuration: Configuration) throws -> Modicum {
        let config = ModicumConfig(
            storageDir: configuration.storageDirectory.path,
            appId: configuration.appID,
            policyDocument: configuration.policyDocument,
            pseudonymRotationDays: configuration.pseudonymRotationDays,
            collectorPublicKey: configuration.collectorPublicKey,
            endpoints: configuration.endpoints,
            homeRegion: configuration.homeRegion
        )
        return Modicum(core: try ModicumCore.start(config: config))
    }

    /// Records the user's decision for `category`; withdrawing discards what is held for it.
    /// Throws only ``ModicumError/Storage`` when the decision could not be saved (it still
    /// applies in memory).
    public func setConsent(_ category: ConsentCategory, granted: Bool) throws {
        try core.setConsent(category: category.rawValue, granted: granted)
    }

    /// As ``setConsent(_:granted:)``, for a category named by a string (from a remote config, say).
    public func setConsent(named category: String, granted: Bool) throws {
        try core.setConsent(category: category, granted: granted)
    }

    /// Records that the user agreed to `version` of the app's terms.
    public func agreeToVersion(_ version: UInt32) throws {
        try core.agreeToVersion(version: version)
    }

    /// Sets the user's age band and whether a guardian consented.
    public func setAge(_ age: AgeBand, guardianConsent: Bool = false) throws {
        try core.setAge(age: age, guardianConsent: guardianConsent)
    }

    /// The categories processing is permitted for right now (`essential` if the policy declares it).
    public var permittedCategories: Set<String> {
        Set(core.permittedCategories())
    }

    /// Records a custom event without blocking. Returns true if it was queued for minimization,
    /// false if the user's consent does not allow it or the queue is full (both are counted). `classes` declares a property's data class; text without one
    /// is scrubbed.
    @discardableResult
    public func record(
        _ name: String,
        properties: [String: PropertyValue] = [:],
        classes: [String: DataClass] = [:],
        category: ConsentCategory? = nil
    ) throws -> Bool {
        try core.recordEvent(event: CustomEvent(
            name: name, category: category?.rawValue, properties: properties, classes: classes
        ))
    }

    /// The most recent decisions (which policy rule fired on which field), as a JSON array.
    public func recentTracesJSON() -> String {
        core.recentTracesJson()
    }

    /// The minimized events held on the device, as a JSON array: what would leave it.
    public func heldEventsJSON() throws -> String {
        try core.heldEventsJson()
    }

    /// Seals what was recorded into batches for upload now, rather than when a batch fills.
    public func sealNow(timeoutMillis: UInt32 = 5_000) throws {
        try core.sealNow(timeoutMs: timeoutMillis)
    }

    /// How many sealed batches wait for upload.
    public var pendingBatches: Int {
        Int(core.pendingBatches())
    }

    /// A readable JSON copy of everything held on the device (the user's right to a copy).
    public func export() throws -> String {
        try core.exportJson()
    }

    /// Erases everything held on the device and queues a deletion request for the collector.
    public func deleteAll() throws {
        try core.deleteAll()
    }

    /// New identifiers from now on, unlinkable to the old ones.
    public func resetIdentifiers() throws {
        try core.resetIdentifiers()
    }

    /// Returns once everything recorded before it is durable, or after `timeoutMillis`.
    public func flush(timeoutMillis: UInt32 = 5_000) throws {
        try core.flush(timeoutMs: timeoutMillis)
    }

    /// Uploads what is waiting through `uploader` until nothing is left or the next attempt is
    /// more than `budgetMillis` away. Call it from a background task (BGTaskScheduler), never
    /// the main thread: it waits for the network.
    public func uploadPending(
        conditions: UploadConditions = UploadConditions(connected: true, metered: false, batteryLow: false),
        uploader: Uploader = URLSessionUploader(),
        budgetMillis: UInt64 = 30_000
    ) throws -> UploadReport {
        try core.uploadPending(uploader: uploader, conditions: conditions, budgetMs: budgetMillis)
    }

    /// Drains what is queued, makes it durable, and stops; later records are dropped and counted.
    public func shutdown(timeoutMillis: UInt32 = 5_000) throws {
        try core.shutdown(timeoutMs: timeoutMillis)
    }
}
