import Dispatch

/// Events wait here and reach the core in bulk on a background queue, so `record` costs the
/// app's thread a lock and an append instead of an FFI call that copies the event into Rust.
///
/// Bounded: when `capacity` events wait, `offer` drops and counts rather than block. Drains are
/// serialized (the spare array's lock), so events reach the core in the order they were offered
/// and a drain that returns has handed over everything offered before it began.
///
/// A sink whose receiver is bounded and would drop what does not fit can pass `settle`: a
/// drain then hands over at most `chunk` events at a time and calls `settle` before handing
/// more. The facade's sink, the core's `recordBatch`, waits for room itself and needs none.
final class EventBuffer<Element: Sendable>: Sendable {
    struct Limits: Sendable {
        /// Events that may wait before `offer` drops.
        var capacity: Int
        /// A drain starts at once when this many wait, rather than after `linger`.
        var bulk: Int = 256
        /// How long the first event of a quiet period waits for company before the drain.
        var linger: DispatchTimeInterval = .milliseconds(5)
        /// The most events handed to the sink between two calls of `settle`: well under the
        /// core's queue (10 000 events).
        var chunk: Int = 2_048
    }

    private struct State {
        var events: [Element] = []
        var dropped: UInt64 = 0
        var open = true
        /// A drain is scheduled or running; until it empties the buffer, no other is needed.
        var drainScheduled = false
        var bulkDrainScheduled = false
    }

    private let state = Locked(State())
    /// The array the drain hands to the core; swapped with `State.events` so neither side
    /// allocates in steady state. Holding its lock is what serializes drains.
    private let spare = Locked([Element]())
    private let limits: Limits
    private let sink: @Sendable ([Element]) -> Void
    private let settle: @Sendable () -> Void
    private let queue = DispatchQueue(label: "dev.modicum.record", qos: .utility)

    /// `sink` receives the events in order, on the buffer's queue or on the thread that calls
    /// `drain`; `settle` returns once the sink's receiver has taken in what it was handed. Neither
    /// may call back into the buffer.
    init(
        limits: Limits, sink: @escaping @Sendable ([Element]) -> Void,
        settle: @escaping @Sendable () -> Void = {}
    ) {
        precondition(limits.capacity > 0 && limits.bulk > 0 && limits.chunk > 0, "buffer limits must be positive")
        self.limits = limits
        self.sink = sink
        self.settle = settle
    }

    deinit {
        drain()
    }

    /// Takes `event` unless the buffer is full or closed (then counts it). Never blocks on the
    /// core: the only wait is for another thread's append.
    @discardableResult
    func offer(_ event: Element) -> Bool {
        var wake = Wake.none
        let taken = state.withLock { s -> Bool in
            guard s.open, s.events.count < limits.capacity else {
                s.dropped += 1
                return false
            }
            s.events.append(event)
            if !s.drainScheduled {
                s.drainScheduled = true
                wake = .afterLinger
            } else if s.events.count >= limits.bulk, !s.bulkDrainScheduled {
                s.bulkDrainScheduled = true
                wake = .now
            }
            return true
        }
        switch wake {
        case .none: break
        case .afterLinger: queue.asyncAfter(deadline: .now() + limits.linger) { [weak self] in self?.drain() }
        case .now: queue.async { [weak self] in self?.drain() }
        }
        return taken
    }

    /// Events dropped because the buffer was full or closed.
    var dropped: UInt64 { state.withLock { $0.dropped } }

    /// Hands everything offered so far to the sink, on the calling thread; waits for a drain
    /// already under way on the queue, so the events it carries are handed over too.
    func drain() {
        spare.withLock { drainLocked(&$0) }
    }

    /// As ``drain()`` unless a drain is under way (perhaps on this very thread, if it is the
    /// one crashing): a crash handler must not wait.
    @discardableResult
    func drainIfIdle() -> Bool {
        spare.withLockIfAvailable { drainLocked(&$0) } != nil
    }

    /// Refuses (and counts) everything offered from now on, then drains.
    func close() {
        state.withLock { $0.open = false }
        drain()
    }

    private func drainLocked(_ batch: inout [Element]) {
        var unsettled = 0
        while true {
            let empty = state.withLock { s -> Bool in
                swap(&s.events, &batch)
                if batch.isEmpty {
                    s.drainScheduled = false
                    s.bulkDrainScheduled = false
                    return true
                }
                return false
            }
            if empty { return }
            if unsettled + batch.count <= limits.chunk {
                sink(batch)  // the usual case: the whole array, no copy
                unsettled += batch.count
            } else {
                var start = 0
                while start < batch.count {
                    let end = min(start + limits.chunk - unsettled, batch.count)
                    if end > start { sink(Array(batch[start..<end])) }
                    unsettled += end - start
                    start = end
                    if unsettled >= limits.chunk {
                        settle()
                        unsettled = 0
                    }
                }
            }
            // Keep the allocation for the next round unless a burst made it unusually large.
            batch.removeAll(keepingCapacity: batch.count <= limits.bulk * 4)
        }
    }

    private enum Wake {
        case none, afterLinger, now
    }
}
