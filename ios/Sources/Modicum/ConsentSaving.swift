import Foundation

/// A change of consent on its way to storage. The change applied when
/// ``Modicum/setConsent(_:granted:)`` returned: `record` already follows it. Modicum's worker
/// saves it next, in order; until then a crash forgets it. Wait for it only where it matters
/// that it outlives the process (before telling the user "your data is deleted", say), with
/// ``saved()``; ``wait(timeout:)`` blocks, so never on the main thread. A failure to save is
/// also reported to ``Modicum/Configuration/onError``, whether anyone waits or not.
public final class ConsentSaving: Sendable {
    private let handle: Durability

    init(handle: Durability) {
        self.handle = handle
    }

    /// True once the change is saved; false while it is not yet, or saving failed.
    public var isSaved: Bool {
        handle.isSaved()
    }

    /// Suspends until the change is saved (true) or saving failed (false); no thread waits.
    public func saved() async -> Bool {
        await withCheckedContinuation { continuation in
            handle.onSettled(listener: Settled { failure in continuation.resume(returning: failure == nil) })
        }
    }

    /// Blocks until the change is saved (true), saving failed or `timeout` seconds passed
    /// (false). Not on the main thread: use ``saved()`` there.
    public func wait(timeout: TimeInterval = 10) -> Bool {
        (try? handle.wait(timeoutMs: timeout.millisecondsForCore)) != nil
    }
}

/// A closure as the core's listener for a settled change.
final class Settled: SettledListener {
    private let action: @Sendable (ModicumError?) -> Void

    init(_ action: @escaping @Sendable (ModicumError?) -> Void) {
        self.action = action
    }

    func settled(failure: ModicumError?) {
        action(failure)
    }
}
