import Dispatch
import Foundation
import XCTest
@testable import Modicum

/// The facade's buffer in front of the real core: nothing recorded before a flush is lost,
/// and a full buffer drops and counts.
final class BufferedRecordingTests: TemporaryDirectoryTestCase {
    private func heldCount(_ modicum: Modicum) throws -> Int {
        let data = Data(try modicum.heldEventsJSON().utf8)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [Any]).count
    }

    func testEverythingRecordedFromManyThreadsBeforeFlushIsHeldAfterIt() throws {
        let modicum = try Modicum.start(config: .init(storageDirectory: directory, appID: "dev.modicum.test"))
        try modicum.setConsent(.analytics, granted: true)
        let refused = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<500 {
                let taken =
                    (try? modicum.record(
                        "tap", properties: ["t": .int(value: Int64(thread)), "i": .int(value: Int64(i))])) ?? false
                if !taken { refused.withLock { $0 += 1 } }
            }
        }
        try modicum.flush()
        XCTAssertEqual(refused.withLock { $0 }, 0)
        XCTAssertEqual(try heldCount(modicum), 2_000)
        XCTAssertEqual(modicum.droppedEvents, 0)
    }

    func testAFullBufferDropsAndCountsAndKeepsTheRest() throws {
        let modicum = try Modicum.start(
            config: .init(
                storageDirectory: directory, appID: "dev.modicum.test", bufferCapacity: 16
            ))
        try modicum.setConsent(.analytics, granted: true)
        var taken = 0
        for i in 0..<5_000 {
            if try modicum.record("burst", properties: ["i": .int(value: Int64(i))]) { taken += 1 }
        }
        try modicum.flush()
        XCTAssertGreaterThan(modicum.droppedEvents, 0, "5 000 events never overflowed 16 places")
        XCTAssertEqual(UInt64(taken) + modicum.droppedEvents, 5_000)
        XCTAssertEqual(try heldCount(modicum), taken, "an event record() took was lost")
    }

    /// More than the core's queue holds (10 000), recorded faster than its worker minimizes:
    /// the buffer hands it over in chunks and waits, so nothing it accepted is dropped.
    func testABurstLargerThanTheCoresQueueIsKeptWhole() throws {
        let modicum = try Modicum.start(
            config: .init(
                storageDirectory: directory, appID: "dev.modicum.test", bufferCapacity: 30_000
            ))
        try modicum.setConsent(.analytics, granted: true)
        for i in 0..<25_000 {
            XCTAssertTrue(try modicum.record("burst", properties: ["i": .int(value: Int64(i))]))
        }
        try modicum.flush(timeout: 60)
        XCTAssertEqual(try heldCount(modicum), 25_000)
        XCTAssertFalse(modicum.ledgerJSON().contains("dropped_queue_full"), modicum.ledgerJSON())
    }

    func testShutdownDrainsTheBufferThenRefuses() throws {
        let store = directory.appendingPathComponent("store")
        let modicum = try Modicum.start(config: .init(storageDirectory: store, appID: "dev.modicum.test"))
        try modicum.setConsent(.analytics, granted: true)
        for _ in 0..<10 { try modicum.record("before") }
        try modicum.shutdown()
        XCTAssertFalse(try modicum.record("after"))
        XCTAssertEqual(modicum.droppedEvents, 1)

        let reopened = try Modicum.start(config: .init(storageDirectory: store, appID: "dev.modicum.test"))
        XCTAssertEqual(try heldCount(reopened), 10)
    }

    func testANonPositiveCapacityIsAnInvalidConfig() {
        XCTAssertThrowsError(
            try Modicum.start(
                config: .init(
                    storageDirectory: directory, appID: "dev.modicum.test", bufferCapacity: 0
                ))
        ) { error in
            guard case .InvalidConfig = error as? ModicumError else { return XCTFail("got \(error)") }
        }
    }
}
