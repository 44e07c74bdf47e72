/// Events the facade dropped before they reached the core (consent it already knew was
/// missing, a full buffer, an invalid event), counted on the app's thread without crossing the
/// FFI and reported to the core's ledger in bulk, so the ledger accounts for every `record`.
final class DroppedEvents: Sendable {
    private struct Key: Hashable {
        let category: String
        let reason: DropReason
    }

    private let counts = Locked([Key: UInt64]())

    func count(_ category: String, _ reason: DropReason) {
        counts.withLock { $0[Key(category: category, reason: reason), default: 0] += 1 }
    }

    /// Hands the counts so far to the core's ledger and starts again from zero.
    func report(to core: ModicumCore) {
        let taken = counts.withLock { counts -> [Key: UInt64] in
            defer { counts.removeAll(keepingCapacity: true) }
            return counts
        }
        for (key, count) in taken {
            // Categories come from `ConsentCategory`, which the core knows: this cannot throw.
            try? core.noteDropped(category: key.category, reason: key.reason, count: count)
        }
    }
}
