// record() from Swift, two ways in one run: the facade's buffered path (a lock and an append
// on the caller's thread; a background queue hands events to the core in bulk) and the naive
// path (one FFI call per event, which copies the event into Rust on the caller's thread).
// Prints percentiles of single calls, the clock's own cost subtracted, the ratio of the
// medians, and the sustained rate through to the core: events the core kept (its ledger)
// from the first record until a flush made them durable. Run with ios/host/bench.sh.
import Foundation
import Modicum

// Small enough that the journal stays under the core's 10 MB storage budget: past it, every
// sync evicts and rewrites the journal, and the run would measure eviction, not recording.
let events = 50_000
let warmup = 10_000
let screens = (0..<7).map { "step-\($0)" }

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func clockOverhead() -> UInt64 {
    var spent = [UInt64](repeating: 0, count: 100_000)
    for i in spent.indices { let t = now(); spent[i] = now() - t }
    spent.sort()
    return spent[spent.count / 2]
}

func makeProperties(_ i: Int) -> [String: PropertyValue] {
    [
        "screen": .text(value: screens[i % 7]), "load_ms": .int(value: Int64(i % 300)),
        "ratio": .double(value: 0.25), "first": .bool(value: i % 2 == 0),
    ]
}

struct Result {
    var sorted: [UInt64]
    var seconds: Double
    /// Events the core kept and dropped for a full queue during the run (ledger deltas).
    var kept: UInt64 = 0
    var droppedQueueFull: UInt64 = 0
    func pct(_ p: Double) -> UInt64 { sorted[Int(Double(sorted.count - 1) * p)] }
    var line: String {
        "p50 \(pct(0.5)) ns  p90 \(pct(0.9)) ns  p99 \(pct(0.99)) ns  "
            + String(format: "%.0f events/s kept by the core", Double(kept) / seconds)
            + "  (kept \(kept), dropped for a full core queue \(droppedQueueFull))"
    }
}

/// The analytics counters of a ledger (`{"analytics": {"kept": …}}`).
func analyticsCounters(_ ledgerJSON: String) -> [String: UInt64] {
    let ledger = (try? JSONSerialization.jsonObject(with: Data(ledgerJSON.utf8))) as? [String: [String: Any]]
    return (ledger?["analytics"] ?? [:]).compactMapValues { ($0 as? NSNumber)?.uint64Value }
}

/// Fills in what the core kept and dropped between two ledger readings.
func withLedger(_ result: Result, before: String, after: String) -> Result {
    let (b, a) = (analyticsCounters(before), analyticsCounters(after))
    var result = result
    result.kept = a["kept", default: 0] - b["kept", default: 0]
    result.droppedQueueFull = a["dropped_queue_full", default: 0] - b["dropped_queue_full", default: 0]
    return result
}

/// Times `record(properties)` for each event (the properties are built before the clock
/// starts, as an app would have them), then `flush()`; the rate covers both.
func measure(
    overhead: UInt64, record: ([String: PropertyValue]) throws -> Void, flush: () throws -> Void
) rethrows -> Result {
    var samples = [UInt64](repeating: 0, count: events)
    let started = now()
    for i in 0..<events {
        let properties = makeProperties(i)
        let t = now()
        try record(properties)
        let spent = now() - t
        samples[i] = spent > overhead ? spent - overhead : 0
    }
    try flush()
    let seconds = Double(now() - started) / 1e9
    samples.sort()
    return Result(sorted: samples, seconds: seconds)
}

func temporaryDirectory(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("modicum-bench-\(name)-\(UUID().uuidString)")
}

func run() throws {
    let overhead = clockOverhead()
    print("clock overhead \(overhead) ns (subtracted)")

    // Buffered: room for every event, so the rate is the core's and nothing is dropped.
    let bufferedDirectory = temporaryDirectory("buffered")
    defer { try? FileManager.default.removeItem(at: bufferedDirectory) }
    let modicum = try Modicum.start(
        config: .init(
            storageDirectory: bufferedDirectory, appID: "dev.modicum.bench", bufferCapacity: events + warmup
        ))
    try modicum.setConsent(.analytics, granted: true)
    for i in 0..<warmup { try modicum.record("warmup", properties: makeProperties(i)) }
    try modicum.flush(timeout: 60)
    let bufferedBefore = modicum.ledgerJSON()
    let buffered = withLedger(
        try measure(
            overhead: overhead,
            record: { properties in _ = try modicum.record("screen_view", properties: properties) },
            flush: { try modicum.flush(timeout: 60) }
        ), before: bufferedBefore, after: modicum.ledgerJSON())
    let dropped = modicum.droppedEvents
    try modicum.shutdown()
    print("buffered record() (facade):        \(buffered.line), dropped by the buffer \(dropped)")

    // Naive: the generated binding, one FFI call per event on the caller's thread.
    let naiveDirectory = temporaryDirectory("naive")
    defer { try? FileManager.default.removeItem(at: naiveDirectory) }
    let core = try ModicumCore.start(config: ModicumConfig(storageDir: naiveDirectory.path, appId: "dev.modicum.bench"))
    _ = try core.setConsent(category: "analytics", granted: true)
    for i in 0..<warmup {
        _ = try core.recordEvent(
            event: CustomEvent(name: "warmup", category: nil, properties: makeProperties(i), classes: [:]))
    }
    try core.flush(timeoutMs: 60_000)
    let naiveBefore = core.ledgerJson()
    let naive = withLedger(
        try measure(
            overhead: overhead,
            record: { properties in
                _ = try core.recordEvent(
                    event: CustomEvent(
                        name: "screen_view", category: nil, properties: properties, classes: [:]
                    ))
            },
            flush: { try core.flush(timeoutMs: 60_000) }
        ), before: naiveBefore, after: core.ledgerJson())
    try core.shutdown(timeoutMs: 5_000)
    print("naive record(), one FFI call each: \(naive.line)")

    let ratio = Double(naive.pct(0.5)) / Double(max(1, buffered.pct(0.5)))
    print(String(format: "median ratio naive/buffered: %.1fx", ratio))
}

try run()
