import Foundation
import XCTest

@testable import Modicum

/// Counts the background tasks begun and ended.
final class CountingBackgroundTasks: BackgroundTasks, @unchecked Sendable {
    let counts = Locked((begun: 0, ended: 0))

    func begin(name: String) -> Int {
        counts.withLock {
            $0.begun += 1
            return $0.begun
        }
    }

    func end(_ token: Int) {
        counts.withLock { $0.ended += 1 }
    }
}

/// Going to the background seals what was recorded and asks for an upload, inside a background
/// task; after shutdown nothing follows the app any more. (On iOS the notification is
/// `didEnterBackgroundNotification` and the task `UIApplication`'s; the Kotlin twin is
/// `goingToTheBackgroundSealsWhatWasRecordedAndSchedulesAnUpload`.)
final class BackgroundSealTests: TemporaryDirectoryTestCase {
    func testGoingToTheBackgroundSealsWhatWasRecordedAndSchedulesAnUpload() throws {
        let modicum = try Modicum.start(
            config: .init(
                storageDirectory: directory.appendingPathComponent("store"), appID: "dev.modicum.test",
                collectorPublicKey: Data(repeating: 9, count: 32), reportsCrashes: false))
        try modicum.setConsent(.analytics, granted: true)
        XCTAssertTrue(try modicum.record("tap"))
        let center = NotificationCenter()
        let background = Notification.Name("dev.modicum.test.background")
        let tasks = CountingBackgroundTasks()
        let requested = expectation(description: "an upload was requested")
        let seal = BackgroundSeal(
            modicum: modicum, center: center, name: background, tasks: tasks,
            requestUpload: { requested.fulfill() })
        XCTAssertEqual(modicum.pendingBatches, 0)

        center.post(name: background, object: nil)
        wait(for: [requested], timeout: 10)
        XCTAssertEqual(modicum.pendingBatches, 1, "sealed in the background")
        let ended = expectation(description: "the background task ended")
        DispatchQueue.global().async {
            while tasks.counts.withLock({ $0.ended }) == 0 { usleep(1_000) }
            ended.fulfill()
        }
        wait(for: [ended], timeout: 10)
        XCTAssertEqual(tasks.counts.withLock { $0.begun }, 1)

        seal.stop()
        center.post(name: background, object: nil)
        XCTAssertEqual(tasks.counts.withLock { $0.begun }, 1, "stopped: the app is no longer followed")
        try modicum.shutdown()
    }
}
