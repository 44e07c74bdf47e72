import Foundation
import XCTest

@testable import Modicum

/// Release health sessions driven through foreground and background notifications. (On iOS the
/// names are `didBecomeActiveNotification` and `didEnterBackgroundNotification`; the Kotlin
/// twin is `SessionLifecycleTest`.)
final class SessionLifecycleTests: TemporaryDirectoryTestCase {
    let foreground = Notification.Name("dev.modicum.test.foreground")
    let background = Notification.Name("dev.modicum.test.background")

    func start(_ version: String) throws -> Modicum {
        try Modicum.start(
            config: .init(
                storageDirectory: directory.appendingPathComponent("store"), appID: "dev.modicum.test",
                reportsCrashes: false, appVersion: version))
    }

    /// (started, ended, crashed, abnormal) for `version`, summed over days.
    func counts(_ modicum: Modicum, _ version: String) -> [UInt32] {
        let rows = modicum.sessionCounts().filter { $0.version == version }
        return [
            rows.map(\.started).reduce(0, +), rows.map(\.ended).reduce(0, +),
            rows.map(\.crashed).reduce(0, +), rows.map(\.abnormal).reduce(0, +),
        ]
    }

    func testSessionsFollowTheAppThroughForegroundAndBackground() throws {
        let modicum = try start("5.0.0")
        try modicum.setConsent(.diagnostics, granted: true)
        let center = NotificationCenter()
        let tracking = SessionLifecycle(
            modicum: modicum, center: center, foreground: foreground, background: background)
        center.post(name: foreground, object: nil)
        // Active again after a system alert: the same session.
        center.post(name: foreground, object: nil)
        XCTAssertEqual(counts(modicum, "5.0.0"), [1, 0, 0, 0])
        center.post(name: background, object: nil)
        XCTAssertEqual(counts(modicum, "5.0.0"), [1, 1, 0, 0])
        center.post(name: foreground, object: nil)
        try modicum.recordCrash(kind: "NSInvalidArgumentException", message: "boom", frames: [])
        XCTAssertEqual(counts(modicum, "5.0.0"), [2, 1, 1, 0], "the crash ended the session")
        tracking.stop()
        center.post(name: foreground, object: nil)
        XCTAssertEqual(counts(modicum, "5.0.0"), [2, 1, 1, 0], "stopped: the app is no longer followed")
        try modicum.shutdown()
    }

    func testNoSessionIsCountedWithoutDiagnostics() throws {
        let modicum = try start("5.1.0")
        modicum.enteredForeground()
        modicum.enteredBackground()
        XCTAssertEqual(counts(modicum, "5.1.0"), [0, 0, 0, 0])
        try modicum.shutdown()
    }

    func testAProcessThatDiesInTheForegroundLeavesAnAbnormalSession() throws {
        let modicum = try start("5.2.0")
        try modicum.setConsent(.diagnostics, granted: true)
        modicum.enteredForeground()
        try modicum.shutdown()
        let again = try start("5.2.0")
        XCTAssertEqual(counts(again, "5.2.0"), [1, 0, 0, 1])
        try again.shutdown()
    }

    func testTheBundleVersionIsReducedToWhatTheCoreAccepts() {
        XCTAssertEqual(Modicum.Configuration.versionForCore("2.1.0 (7)"), "2.1.0 (7)")
        XCTAssertEqual(Modicum.Configuration.versionForCore("3.0-rc1/版"), "3.0-rc1")
        XCTAssertNil(Modicum.Configuration.versionForCore("版本"))
        XCTAssertNil(Modicum.Configuration.versionForCore(nil))
        XCTAssertEqual(Modicum.Configuration.versionForCore(String(repeating: "9", count: 100))?.count, 64)
    }
}
