import Dispatch
import XCTest
@testable import Modicum

private func event(_ name: String) -> CustomEvent {
    CustomEvent(name: name, category: nil, properties: [:], classes: [:])
}

/// The buffer alone, with a sink that keeps what it is handed: order, bounds, draining.
final class EventBufferTests: XCTestCase {
    private final class Sink: Sendable {
        let batches = Locked([[String]]())
        var names: [String] { batches.withLock { $0.flatMap { $0 } } }
        func take(_ events: [CustomEvent]) { batches.withLock { $0.append(events.map(\.name)) } }
    }

    func testDrainHandsOverEverythingOfferedInOrder() {
        let sink = Sink()
        let buffer = EventBuffer(limits: .init(capacity: 1_000, linger: .seconds(60))) { sink.take($0) }
        for i in 0..<600 { XCTAssertTrue(buffer.offer(event("e\(i)"))) }
        buffer.drain()
        XCTAssertEqual(sink.names, (0..<600).map { "e\($0)" })
    }

    func testAFullBufferDropsAndCountsInsteadOfWaiting() {
        let sink = Sink()
        // Nothing drains on its own within the test: a minute of linger, a bulk above capacity.
        let buffer = EventBuffer(limits: .init(capacity: 3, bulk: 10, linger: .seconds(60))) { sink.take($0) }
        let taken = (0..<5).map { buffer.offer(event("e\($0)")) }
        XCTAssertEqual(taken, [true, true, true, false, false])
        XCTAssertEqual(buffer.dropped, 2)
        buffer.drain()
        XCTAssertEqual(sink.names, ["e0", "e1", "e2"])
        XCTAssertTrue(buffer.offer(event("e5")), "draining makes room again")
    }

    func testReachingTheBulkSizeDrainsInTheBackground() {
        let sink = Sink()
        let buffer = EventBuffer(limits: .init(capacity: 100, bulk: 8, linger: .seconds(60))) { sink.take($0) }
        for i in 0..<8 { buffer.offer(event("e\(i)")) }
        XCTAssertTrue(waitUntil { sink.names.count == 8 }, "no background drain at the bulk size")
    }

    func testAQuietEventIsHandedOverAfterTheLinger() {
        let sink = Sink()
        let buffer = EventBuffer(limits: .init(capacity: 100, linger: .milliseconds(20))) { sink.take($0) }
        buffer.offer(event("lonely"))
        XCTAssertTrue(waitUntil { sink.names == ["lonely"] }, "the lingering drain never came")
        buffer.offer(event("next"))
        XCTAssertTrue(waitUntil { sink.names == ["lonely", "next"] }, "no drain after the buffer emptied")
    }

    func testConcurrentOffersAreAllHandedOverOnceEach() {
        let sink = Sink()
        let buffer = EventBuffer(limits: .init(capacity: 100_000, bulk: 64, linger: .milliseconds(1))) { sink.take($0) }
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<5_000 { buffer.offer(event("\(thread)-\(i)")) }
        }
        buffer.drain()
        let names = sink.names
        XCTAssertEqual(names.count, 20_000)
        XCTAssertEqual(Set(names).count, 20_000)
        for thread in 0..<4 {
            let own = names.filter { $0.hasPrefix("\(thread)-") }
            XCTAssertEqual(own, (0..<5_000).map { "\(thread)-\($0)" }, "thread \(thread)'s events out of order")
        }
    }

    func testABurstIsHandedOverInChunksWithTheReceiverSettledBetween() {
        let log = Locked([String]())
        let buffer = EventBuffer<CustomEvent>(
            limits: .init(capacity: 100, linger: .seconds(60), chunk: 4),
            sink: { events in log.withLock { $0.append("sink \(events.map(\.name).joined(separator: ","))") } },
            settle: { log.withLock { $0.append("settle") } }
        )
        for i in 0..<10 { buffer.offer(event("e\(i)")) }
        buffer.drain()
        XCTAssertEqual(
            log.withLock { $0 },
            [
                "sink e0,e1,e2,e3", "settle", "sink e4,e5,e6,e7", "settle", "sink e8,e9",
            ])
    }

    func testAClosedBufferRefusesAndCounts() {
        let sink = Sink()
        let buffer = EventBuffer(limits: .init(capacity: 10, linger: .seconds(60))) { sink.take($0) }
        buffer.offer(event("before"))
        buffer.close()
        XCTAssertEqual(sink.names, ["before"], "closing drains")
        XCTAssertFalse(buffer.offer(event("after")))
        XCTAssertEqual(buffer.dropped, 1)
    }

    func testDrainIfIdleGivesUpWhileAnotherDrainRuns() {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let buffer = EventBuffer<CustomEvent>(limits: .init(capacity: 10, linger: .seconds(60))) { _ in
            entered.signal()
            release.wait()
        }
        buffer.offer(event("slow"))
        DispatchQueue.global().async { buffer.drain() }
        entered.wait()
        // On another thread, so a drainIfIdle that waits fails the test instead of hanging it.
        let answered = DispatchSemaphore(value: 0)
        let idle = Locked<Bool?>(nil)
        DispatchQueue.global().async {
            idle.withLock { $0 = buffer.drainIfIdle() }
            answered.signal()
        }
        let answeredInTime = answered.wait(timeout: .now() + 2) == .success
        XCTAssertTrue(answeredInTime, "drainIfIdle waited on a drain under way")
        release.signal()
        if !answeredInTime { answered.wait() }
        XCTAssertEqual(idle.withLock { $0 }, false)
        buffer.drain()
        XCTAssertTrue(buffer.drainIfIdle())
    }

    private func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.002)
        }
        return true
    }
}
