import Foundation
import XCTest
@testable import Modicum

/// The crash handler's work, called directly: the report is durable before the previous
/// handler runs, and what was buffered before the crash goes first.
final class CrashHandlerTests: TemporaryDirectoryTestCase {
    private func start() throws -> Modicum {
        try Modicum.start(config: .init(storageDirectory: directory, appID: "dev.modicum.test"))
    }

    private func names(_ json: String) throws -> [String] {
        let events = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        return events.compactMap { $0["name"] as? String }
    }

    func testTheReportIsHeldBeforeThePreviousHandlerRunsAndSurvivesARestart() throws {
        let modicum = try start()
        try modicum.setConsent(.analytics, granted: true)
        try modicum.setConsent(.diagnostics, granted: true)
        try modicum.record("checkout_started")  // still in the Swift buffer when the crash comes

        var heldWhenChained: [String]?
        CrashHandler(modicum: modicum).handle(
            kind: "NSInvalidArgumentException", message: "unrecognized selector, user ann@example.org",
            frames: ["0 Sample 0x1 main"], thread: "main"
        ) {
            heldWhenChained = try? names(modicum.heldEventsJSON())
        }
        XCTAssertEqual(heldWhenChained, ["checkout_started", "crash"])
        XCTAssertFalse(try modicum.heldEventsJSON().contains("ann@example.org"), "crash text is scrubbed")
        try modicum.shutdown()

        XCTAssertEqual(try names(start().heldEventsJSON()), ["checkout_started", "crash"])
    }

    func testThePreviousHandlerRunsEvenWhenRecordingIsRefused() throws {
        let modicum = try start()  // no diagnostics consent: the crash is not kept
        var chained = false
        CrashHandler(modicum: modicum).handle(kind: "k", message: "m", frames: [], thread: nil) { chained = true }
        XCTAssertTrue(chained)
        XCTAssertEqual(try modicum.heldEventsJSON(), "[]")
    }

    func testAppsRecordTheirOwnFatalErrorsDurably() throws {
        let modicum = try start()
        try modicum.setConsent(.diagnostics, granted: true)
        XCTAssertTrue(try modicum.recordCrash(kind: "fatalError", message: "inconsistent cart state"))
        try modicum.shutdown()
        let held = try start().heldEventsJSON()
        XCTAssertTrue(held.contains("inconsistent cart state"), held)
        XCTAssertTrue(held.contains("\"kind\":\"fatalError\""), held)
    }
}
