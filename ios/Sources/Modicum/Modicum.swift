import Foundation

#if canImport(UIKit) && os(iOS)
    import UIKit
#endif

/// The Swift face of Modicum. Errors in what the app passes are thrown as ``ModicumError``
/// cases (for example ``ModicumError/EmptyEventName``) where they can be found at once;
/// the rest go to ``Configuration/onError``.
///
/// Threads: `record`, the consent calls, ``permittedCategories`` and ``recentTracesJSON()``
/// never wait on a disk or on Modicum's worker, so the main thread may call them. Every call
/// that waits has an `async` form of the same name (Modicum+Async.swift); its blocking form
/// says "Blocks" and belongs on a background queue.
public final class Modicum: Sendable {
    let core: ModicumCore
    let buffer: EventBuffer<Recorded>
    let drops: DroppedEvents
    let onError: (@Sendable (ModicumError) -> Void)?
    /// Follows the app to the background (iOS, unless the configuration says not to).
    let lifecycle = Locked<BackgroundSeal?>(nil)
    /// Counts release health sessions from the app's foreground (iOS, unless configured off).
    let sessions = Locked<SessionLifecycle?>(nil)
    /// The categories permitted now, so `record` can refuse without crossing into the core,
    /// and the core's count of withdrawals, which each buffered event carries (a withdrawal
    /// made while it waits holds for it even if the category is granted again); refreshed
    /// together after every change of consent. The core checks again, so a stale read is safe.
    private let permitted: Locked<(categories: Set<String>, epoch: UInt64)>

    private init(core: ModicumCore, configuration: Configuration) {
        self.core = core
        self.onError = configuration.onError
        self.permitted = Locked((Set(core.permittedCategories()), core.consentEpoch()))
        let onError = configuration.onError
        let drops = DroppedEvents()
        self.drops = drops
        self.buffer = EventBuffer(
            limits: .init(capacity: configuration.bufferCapacity),
            sink: { recorded in
                // One crossing per run of events recorded at the same consent epoch.
                var start = 0
                while start < recorded.count {
                    let epoch = recorded[start].consentEpoch
                    var end = start
                    while end < recorded.count && recorded[end].consentEpoch == epoch { end += 1 }
                    let events = recorded[start..<end].map(\.event)
                    for rejected in core.recordBatchAsOf(events: events, consentEpoch: epoch).rejected {
                        onError?(rejected.error)
                    }
                    start = end
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
        #if canImport(UIKit) && os(iOS)
            if config.sealsOnBackground {
                let seal = BackgroundSeal(
                    modicum: modicum, name: UIApplication.didEnterBackgroundNotification,
                    tasks: ApplicationBackgroundTasks(), requestUpload: config.scheduleUpload ?? {})
                modicum.lifecycle.withLock { $0 = seal }
            }
        #endif
        #if canImport(UIKit) && os(iOS)
            if config.tracksSessions {
                let tracking = SessionLifecycle(
                    modicum: modicum, foreground: UIApplication.didBecomeActiveNotification,
                    background: UIApplication.didEnterBackgroundNotification)
                modicum.sessions.withLock { $0 = tracking }
            }
        #endif
        #if canImport(ObjectiveC)
            if config.reportsCrashes {
                CrashHandler(modicum: modicum).installForUncaughtExceptions()
            }
        #endif
        return modicum
    }

    // MARK: Consent

    /// Records the user's decision for `category` without waiting: `record` follows it from
    /// this call on, and withdrawing discards what is held for the category. Modicum saves it
    /// next; the returned ``ConsentSaving`` says when (a failure also goes to
    /// ``Configuration/onError``). Throws only for what the app passed wrong
    /// (``ModicumError/EssentialIsDeclared``).
    @discardableResult
    public func setConsent(_ category: ConsentCategory, granted: Bool) throws -> ConsentSaving {
        try consentChange { try core.setConsent(category: category.rawValue, granted: granted) }
    }

    /// As ``setConsent(_:granted:)``, for a category named by a string (from a remote config,
    /// say); an unknown name throws ``ModicumError/UnknownCategory``.
    @discardableResult
    public func setConsent(named category: String, granted: Bool) throws -> ConsentSaving {
        try consentChange { try core.setConsent(category: category, granted: granted) }
    }

    /// Records that the user agreed to `version` of the app's terms; saved as
    /// ``setConsent(_:granted:)`` is.
    @discardableResult
    public func agreeToVersion(_ version: UInt32) throws -> ConsentSaving {
        try consentChange { try core.agreeToVersion(version: version) }
    }

    /// Sets the user's age band and whether a guardian consented; saved as
    /// ``setConsent(_:granted:)`` is.
    @discardableResult
    public func setAge(_ age: AgeBand, guardianConsent: Bool = false) throws -> ConsentSaving {
        try consentChange { try core.setAge(age: age, guardianConsent: guardianConsent) }
    }

    /// The consent categories processing is permitted for right now. Essential processing,
    /// which the app declares rather than the user grants, is not one of them.
    public var permittedCategories: Set<ConsentCategory> {
        Set(core.permittedCategories().compactMap(ConsentCategory.init(rawValue:)))
    }

    /// Applies a change in memory (the core never waits there) and refreshes the cache
    /// `record` reads, even when the change fails half way. Events still buffered reach the
    /// core after it, with the consent epoch they were recorded at, so a withdrawal holds for
    /// them even after a new grant. A failure to save goes to
    /// ``Configuration/onError`` from Modicum's worker.
    private func consentChange(_ change: () throws -> Durability) throws -> ConsentSaving {
        defer { refreshPermitted() }
        let handle = try change()
        let onError = self.onError
        handle.onSettled(
            listener: Settled { failure in
                if let failure { onError?(failure) }
            })
        return ConsentSaving(handle: handle)
    }

    func refreshPermitted() {
        let categories = Set(core.permittedCategories())
        let epoch = core.consentEpoch()
        permitted.withLock { $0 = (categories, epoch) }
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
        guard let epoch = permitted.withLock({ $0.categories.contains(categoryName) ? $0.epoch : nil })
        else {
            drops.count(categoryName, .consent)
            return false
        }
        let taken = buffer.offer(
            Recorded(
                event: CustomEvent(
                    name: name, category: category?.rawValue, properties: properties, classes: classes),
                consentEpoch: epoch))
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

    /// The minimized events held on the device, as a JSON array: what would leave it. Blocks.
    public func heldEventsJSON() throws -> String {
        handOver()
        return try core.heldEventsJson()
    }

    /// The privacy ledger: what was kept, dropped or purged, per category, as JSON. Blocks.
    public func ledgerJSON() -> String {
        handOver()
        return core.ledgerJson()
    }

    /// A readable JSON copy of everything held on the device (the user's right to a copy).
    /// Blocks.
    public func export() throws -> String {
        handOver()
        return try core.exportJson()
    }

    /// Erases everything held on the device and queues a deletion request for the collector.
    /// Blocks until the erasure is on disk.
    public func deleteAll() throws {
        handOver()
        defer { refreshPermitted() }
        try core.deleteAll()
    }

    /// New identifiers from now on, unlinkable to the old ones. Events recorded before the call
    /// reach the core first, so they keep the old pseudonyms. Blocks.
    public func resetIdentifiers() throws {
        handOver()
        try core.resetIdentifiers()
    }

    // MARK: Lifecycle

    /// The app came to the foreground: a release health session starts (counted only while
    /// `diagnostics` is permitted). Never waits. On iOS, ``Configuration/tracksSessions``
    /// calls it.
    public func enteredForeground() {
        core.enteredForeground()
    }

    /// The app left the foreground: the session ends. Never waits.
    public func enteredBackground() {
        core.enteredBackground()
    }

    /// The session counts not yet reported, per app version and day: what the next daily
    /// reports will say. Blocks.
    public func sessionCounts() -> [SessionCount] {
        core.sessionCounts()
    }

    /// Returns once everything recorded before it is durable, or after `timeout` seconds.
    /// Blocks.
    public func flush(timeout: TimeInterval = 5) throws {
        handOver()
        try core.flush(timeoutMs: timeout.millisecondsForCore)
    }

    /// Drains what is buffered and queued, makes it durable, and stops; later records are
    /// dropped and counted. Blocks.
    public func shutdown(timeout: TimeInterval = 5) throws {
        lifecycle.withLock {
            $0?.stop()
            $0 = nil
        }
        sessions.withLock {
            $0?.stop()
            $0 = nil
        }
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

/// An event as `record` took it, with the consent epoch it was recorded at.
struct Recorded: Sendable {
    let event: CustomEvent
    let consentEpoch: UInt64
}
