// record() from Swift: each call crosses the FFI directly (Swift calls into the library with no
// JNA in between, so no buffering is needed). Prints percentiles of single calls, the clock's
// own cost subtracted, and the sustained rate through to the core.
// Run with ios/host/bench.sh.
import Foundation
import Modicum

let events = 200_000
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modicum-bench-\(UUID().uuidString)")
defer { try? FileManager.default.removeItem(at: directory) }

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

var clock = [UInt64](repeating: 0, count: 100_000)
for i in clock.indices { let t = now(); clock[i] = now() - t }
clock.sort()
let overhead = clock[clock.count / 2]

let modicum = try Modicum.start(.init(storageDirectory: directory, appID: "dev.modicum.bench"))
try modicum.setConsent(.analytics, granted: true)
let screens = (0..<7).map { "step-\($0)" }
for i in 0..<20_000 {
    _ = try modicum.record("warmup", properties: ["screen": .text(value: screens[i % 7])])
}
try modicum.flush(timeoutMillis: 60_000)

var samples = [UInt64](repeating: 0, count: events)
let started = now()
for i in 0..<events {
    let properties: [String: PropertyValue] = [
        "screen": .text(value: screens[i % 7]), "load_ms": .int(value: Int64(i % 300)),
        "ratio": .double(value: 0.25), "first": .bool(value: i % 2 == 0),
    ]
    let t = now()
    _ = try modicum.record("screen_view", properties: properties)
    let spent = now() - t
    samples[i] = spent > overhead ? spent - overhead : 0
}
try modicum.flush(timeoutMillis: 60_000)
let seconds = Double(now() - started) / 1e9
samples.sort()
func pct(_ p: Double) -> UInt64 { samples[Int(Double(samples.count - 1) * p)] }
print("clock overhead \(overhead) ns (subtracted)")
print("Swift record(), one FFI call each: p50 \(pct(0.5)) ns  p90 \(pct(0.9)) ns  p99 \(pct(0.99)) ns  " +
      String(format: "%.0f events/s through to the core", Double(events) / seconds))
try modicum.shutdown()
