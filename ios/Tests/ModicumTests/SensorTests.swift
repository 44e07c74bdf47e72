import Foundation
import XCTest
@testable import Modicum

final class SensorTests: XCTestCase {
    func testReadingsGoOverInBulkAndTheRestOnFlush() {
        let delivered = Locked([Int]())
        let buffer = SensorSampleBuffer(sensor: "accelerometer", bulk: 10) { sensor, readings in
            XCTAssertEqual(sensor, "accelerometer")
            delivered.withLock { $0.append(readings.count) }
        }
        for i in 0..<25 { buffer.add(SensorReading(atMs: UInt64(i), values: [0, 0, 1])) }
        XCTAssertEqual(delivered.withLock { $0 }, [10, 10])
        buffer.flush()
        buffer.flush()  // nothing left: no empty batch
        XCTAssertEqual(delivered.withLock { $0 }, [10, 10, 5])
    }

    func testBufferedReadingsBecomeWindowsInTheCore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "modicum-sensors-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let modicum = try Modicum.start(config: .init(storageDirectory: directory, appID: "dev.modicum.test"))
        try modicum.setConsent(.sensors, granted: true)
        let buffer = SensorSampleBuffer(sensor: "accelerometer", modicum: modicum, bulk: 50)
        // Two minutes of readings at 1 Hz from a minute boundary: the first window closes.
        let start: UInt64 = 1_700_000_040_000
        for second in 0..<125 {
            buffer.add(SensorReading(atMs: start + UInt64(second) * 1_000, values: [0.1, 0.2, 9.8]))
        }
        buffer.flush()
        let json = try modicum.heldEventsJSON()
        XCTAssertTrue(json.contains("\"name\":\"sensor_window\""), json)
        XCTAssertFalse(
            json.contains("\"name\":\"sensor_sample\""), "a raw reading was kept without sensors_raw: \(json)")
    }
}
