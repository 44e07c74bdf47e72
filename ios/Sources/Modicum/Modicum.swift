import Foundation

/// The Swift face of Modicum. Errors in what the app passes are thrown as ``ModicumError``
/// cases (for example ``ModicumError/EmptyEventName``) where they can be found at once;
/// the rest go to ``Configuration/onError``.
public final class Modicum: Sendable {
    let core: ModicumCore
    let buffer: EventBuffer
    let drops: DroppedEvents
    let onError: (@Sendable (ModicumError) -> Void)?
    /// The categories permitted now, so `record` can refuse without crossing into the core;
    /// refreshed after every change of consent. The core checks again, so a stale read is safe.
    private let permitted: Locked<Set<String>>

    private init(core: ModicumCore, configuration: Configuration) {
        self.core = core
        self.onError = configuration.onError
        self.permitted = Locked(Set(core.permittedCategories()))
        let onError = configuration.onError
        let drops = DroppedEvents()
        self.drops = drops
        self.buffer = EventBuffer(
            limits: .init(capacity: configuration.bufferCapacity),
            sink: { events in
                for rejected in core.recordBatch(events: events).rejected {
                    onError?(rejected.error)
                }
                drops.report(to: core)
            }
            // No `settle`: recordBatch itself waits for room in the core's queue (off the
            // app's thread), so a burst is not lost to the queue's bound.
        )
    }

    /// Starts Modicum; throws ``ModicumError/StorageUnusable``, ``ModicumError/InvalidConfig``
    /// or ``ModicumError/InvalidPolicy``. Opening storage happens off the calling thread.
    public static func start(config: Configuration) throws -> Modicum {
        guard config.bufferCapacity > 0 else {
            throw ModicumError.InvalidConfig(reason: "bufferCapacity must be positive")
        }
        let core = try ModicumCore.startWith(config: config.coreConfig, providers: config.providers)
        let modicum = Modicum(core: core, configuration: config)
        if let reporting = config.network as? ConnectivityReporting {
            reporting.reportChanges { [weak modicum] state in modicum?.recordConnectivityChange(state) }
        }
        #if canImport(ObjectiveC)
            if config.reportsCrashes {
                CrashHandler(modicum: modicum).installForUncaughtExceptions()
            }
        #endif
        return modicum
    }

    // MARK: Consent

    /// Records the user's decision for `category`; withdrawing discards what is held for it.
    /// Throws only ``ModicumError/Storage`` when the decision could not be saved (it still
    /// applies in memory).
    public func setConsent(_ category: ConsentCategory, granted: Bool) throws {
        try consentChange { try core.setConsent(category: category.rawValue, granted: granted) }
    }

    /// As ``setConsent(_:granted:)``, for a category named by a string (from a remote config, say).
    public func setConsent(named category: String, granted: Bool) throws {
        try consentChange { try core.setConsent(category: category, granted: granted) }
    }

    /// Records that the user agreed to `version` of the app's terms.
    public func agreeToVersion(_ version: UInt32) throws {
        try consentChange { try core.agreeToVersion(version: version) }
    }

    /// Sets the user's age band and whether a guardian consented.
    public func setAge(_ age: AgeBand, guardianConsent: Bool = false) throws {
        try consentChange { try core.setAge(age: age, guardianConsent: guardianConsent) }
    }

    /// The consent categories processing is permitted for right now. Essential processing,
    /// which the app declares rather than the user grants, is not one of them.
    public var permittedCategories: Set<ConsentCategory> {
        Set(core.permittedCategories().compactMap(ConsentCategory.init(rawValue:)))
    }

    /// Events buffered before a change of consent were recorded under the old consent, so they
    /// reach the core first; the cache is refreshed even when the change fails half way.
    private func consentChange(_ change: () throws -> Void) throws {
        handOver()
        defer { permitted.withLock { $0 = Set(core.permittedCategories()) } }
        try change()
    }

    // MARK: Recording

    /// Records a custom event without blocking; safe on the main thread. Returns true if it was
    /// taken, false if the user's consent does not allow it or the buffer is full (counted in
    /// ``droppedEvents``). `classes` declares a property's data class; text without one is
    /// scrubbed. Throws ``ModicumError/EmptyEventName`` at once; other invalid events (a NaN, a
    /// name too long) are found in bulk and reported to ``Configuration/onError``. Every call is
    /// counted in the core's ledger (``ledgerJSON()``): collected, and kept or dropped and why.
    @discardableResult
    public func record(
        _ name: String,
        properties: [String: PropertyValue] = [:],
        classes: [String: DataClass] = [:],
        category: ConsentCategory? = nil
    ) throws -> Bool {
        let categoryName = (category ?? .analytics).rawValue
        if name.isEmpty {
            drops.count(categoryName, .invalid)
            throw ModicumError.EmptyEventName
        }
        guard permitted.withLock({ $0.contains(categoryName) }) else {
            drops.count(categoryName, .consent)
            return false
        }
        let taken = buffer.offer(
            CustomEvent(
                name: name, category: category?.rawValue, properties: properties, classes: classes
            ))
        if !taken { drops.count(categoryName, .bufferFull) }
        return taken
    }

    /// Events `record` took no further: the buffer was full, or Modicum was shut down.
    public var droppedEvents: UInt64 {
        buffer.dropped
    }

    // MARK: Reading and rights

    /// The most recent decisions (which policy rule fired on which field), as a JSON array.
    public func recentTracesJSON() -> String {
        core.recentTracesJson()
    }

    /// The minimized events held on the device, as a JSON array: what would leave it.
    public func heldEventsJSON() throws -> String {
        handOver()
        return try core.heldEventsJson()
    }

    /// The privacy ledger: what was kept, dropped or purged, per category, as JSON.
    public func ledgerJSON() -> String {
        handOver()
        return core.ledgerJson()
    }

    /// A readable JSON copy of everything held on the device (the user's right to a copy).
    public func export() throws -> String {
        handOver()
        return try core.exportJson()
    }

    /// Erases everything held on the device and queues a deletion request for the collector.
    public func deleteAll() throws {
        try consentChange { try core.deleteAll() }
    }

    /// New identifiers from now on, unlinkable to the old ones. Events recorded before the call
    /// reach the core first, so they keep the old pseudonyms.
    public func resetIdentifiers() throws {
        handOver()
        try core.resetIdentifiers()
    }

    // MARK: Lifecycle

    /// Returns once everything recorded before it is durable, or after `timeout` seconds.
    public func flush(timeout: TimeInterval = 5) throws {
        handOver()
        try core.flush(timeoutMs: timeout.millisecondsForCore)
    }

    /// Drains what is buffered and queued, makes it durable, and stops; later records are
    /// dropped and counted.
    public func shutdown(timeout: TimeInterval = 5) throws {
        buffer.close()
        drops.report(to: core)
        try core.shutdown(timeoutMs: timeout.millisecondsForCore)
    }

    /// Hands everything buffered to the core, and what was dropped to its ledger: every call
    /// that reads or persists comes here first.
    func handOver() {
        buffer.drain()
        drops.report(to: core)
    }
}
