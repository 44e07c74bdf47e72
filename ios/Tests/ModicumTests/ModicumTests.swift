import Foundation
import XCTest
@testable import Modicum

final class ModicumTests: TemporaryDirectoryTestCase {
    private func start() throws -> Modicum {
        try Modicum.start(
            config: .init(storageDirectory: directory.appendingPathComponent("store"), appID: "dev.modicum.test"))
    }

    private func held(_ modicum: Modicum) throws -> [[String: Any]] {
        let data = Data(try modicum.heldEventsJSON().utf8)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    func testRecordsOnlyWithConsentAndReadsBackMinimizedJSON() throws {
        let modicum = try start()
        XCTAssertFalse(try modicum.record("opened"), "nothing is held without consent")

        try modicum.setConsent(.analytics, granted: true)
        XCTAssertEqual(modicum.permittedCategories, [.analytics])
        let kept = try modicum.record(
            "checkout",
            properties: [
                "items": 3, "total": 12.5, "express": true, "note": "mail me at ann@example.org",
            ])
        XCTAssertTrue(kept)

        let events = try held(modicum)
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events[0]["name"] as? String, "checkout")
        XCTAssertEqual(events[0]["category"] as? String, "analytics")
        let properties = try XCTUnwrap(events[0]["properties"] as? [String: Any])
        XCTAssertEqual(properties["items"] as? Int, 3)
        XCTAssertEqual(properties["total"] as? Double, 12.5)
        XCTAssertEqual(properties["express"] as? Bool, true)
        XCTAssertEqual(properties["note"] as? String, "mail me at [email]")
        XCTAssertFalse(try modicum.heldEventsJSON().contains("ann@example.org"))
    }

    func testWithdrawingConsentDiscardsHeldEvents() throws {
        let modicum = try start()
        try modicum.setConsent(.analytics, granted: true)
        try modicum.record("a")
        try modicum.setConsent(.analytics, granted: false)
        XCTAssertEqual(try modicum.heldEventsJSON(), "[]")
    }

    /// An event the app recorded before a withdrawal never leaves, even if the category is
    /// granted again while the event still waits in the buffer: a consent change does not wait
    /// for the buffer, so the event carries the consent epoch it was recorded at.
    func testAnEventRecordedBeforeAWithdrawalIsNotHeldAfterANewGrant() throws {
        let modicum = try start()
        try modicum.setConsent(.analytics, granted: true)
        XCTAssertTrue(try modicum.record("before"))
        try modicum.setConsent(.analytics, granted: false)
        try modicum.setConsent(.analytics, granted: true)
        XCTAssertTrue(try modicum.record("after"))
        let names = try held(modicum).compactMap { $0["name"] as? String }
        XCTAssertEqual(names, ["after"])
    }

    func testEveryFacadeCategoryIsOneTheCoreKnows() throws {
        let modicum = try start()
        for category in ConsentCategory.allCases {
            try modicum.setConsent(named: category.rawValue, granted: true)
        }
        XCTAssertEqual(modicum.permittedCategories, Set(ConsentCategory.allCases))
    }

    func testBadInputIsATypedErrorThrownAtOnceOrReportedFromTheBulkPath() throws {
        let reported = Locked([ModicumError]())
        let modicum = try Modicum.start(
            config: .init(
                storageDirectory: directory.appendingPathComponent("store"), appID: "dev.modicum.test",
                onError: { error in reported.withLock { $0.append(error) } }
            ))
        try modicum.setConsent(.analytics, granted: true)
        XCTAssertThrowsError(try modicum.record("")) { error in
            XCTAssertEqual(error as? ModicumError, .EmptyEventName)
        }
        XCTAssertThrowsError(try modicum.setConsent(named: "telepathy", granted: true)) { error in
            XCTAssertEqual(error as? ModicumError, .UnknownCategory(name: "telepathy"))
        }
        // A NaN is found where the event reaches the core, in bulk: reported, never thrown.
        XCTAssertTrue(try modicum.record("e", properties: ["ratio": .double(value: .nan)]))
        try modicum.flush()
        let errors = reported.withLock { $0 }
        XCTAssertEqual(errors.count, 1, "\(errors)")
        guard case .InvalidProperty(let key, _) = errors.first else {
            return XCTFail("expected InvalidProperty, got \(errors)")
        }
        XCTAssertEqual(key, "ratio")
        XCTAssertEqual(try modicum.heldEventsJSON(), "[]")
    }

    func testDeclaredClassesAreMinimizedByThePolicy() throws {
        let modicum = try start()
        for category in [ConsentCategory.analytics, .diagnostics, .identifiers, .location] {
            try modicum.setConsent(category, granted: true)
        }
        try modicum.record(
            "session",
            properties: [
                "ip": "203.0.113.77",
                "install": "3f1c9a7e-2b4d-4e8f-9a1b-7c6d5e4f3a2b",
                "email": "ann@example.org",
                "where": .location(latitude: 52.520008, longitude: 13.404954),
            ], classes: ["ip": .networkIp, "install": .idInstall, "email": .contact])
        let json = try modicum.heldEventsJSON()
        XCTAssertTrue(json.contains("\"ip\":\"203.0.113.0/24\""), json)
        XCTAssertTrue(json.contains("\"install\":\"p1_"), json)
        for raw in ["203.0.113.77", "3f1c9a7e", "ann@example.org", "52.520008"] {
            XCTAssertFalse(json.contains(raw), "\(raw) leaked: \(json)")
        }
        XCTAssertTrue(modicum.recentTracesJSON().contains("\"class\":\"contact\""))
    }

    func testAChildWithoutGuardianConsentGetsNothingWithoutEssentialProcessing() throws {
        let modicum = try start()
        try modicum.setConsent(.analytics, granted: true)
        try modicum.setAge(.child, guardianConsent: false)
        XCTAssertFalse(try modicum.record("tap"))
        XCTAssertEqual(modicum.permittedCategories, [])
        try modicum.setAge(.child, guardianConsent: true)
        XCTAssertTrue(try modicum.record("tap"))
    }

    func testConsentSurvivesARestart() throws {
        try start().setConsent(.analytics, granted: true)
        XCTAssertEqual(try start().permittedCategories, [.analytics])
    }

    func testExportThenDeleteAll() throws {
        let modicum = try start()
        try modicum.setConsent(.analytics, granted: true)
        try modicum.record("opened", properties: ["note": "hi ann@example.org"])
        try modicum.flush()
        let export = try modicum.export()
        XCTAssertTrue(export.contains("\"note\": \"hi [email]\""), export)
        XCTAssertTrue(export.contains("\"history\""))
        try modicum.deleteAll()
        XCTAssertEqual(try modicum.heldEventsJSON(), "[]")
        XCTAssertEqual(modicum.permittedCategories, [])
        // Nothing was uploaded, so no collector holds anything to delete: no request waits.
        XCTAssertTrue(try modicum.export().contains("\"deletion_requests\": []"))
    }

    func testWithACollectorKeyEventsAreSealedForUpload() throws {
        let config = Modicum.Configuration(
            storageDirectory: directory.appendingPathComponent("sealed"), appID: "dev.modicum.test",
            collectorPublicKey: Data(repeating: 9, count: 32)
        )
        let modicum = try Modicum.start(config: config)
        try modicum.setConsent(.analytics, granted: true)
        try modicum.record("tap")
        try modicum.sealNow()
        XCTAssertEqual(modicum.pendingBatches, 1)
        XCTAssertEqual(try modicum.heldEventsJSON(), "[]")
    }

    func testAnInvalidPolicyIsATypedErrorNamingTheRule() throws {
        let policy = #"{"rules": [{"class": "id.hardware", "action": "keep"}]}"#
        let config = Modicum.Configuration(
            storageDirectory: directory.appendingPathComponent("store"), appID: "dev.modicum.test",
            policyDocument: policy
        )
        XCTAssertThrowsError(try Modicum.start(config: config)) { error in
            guard case .InvalidPolicy(let errors) = error as? ModicumError else {
                return XCTFail("expected InvalidPolicy, got \(error)")
            }
            XCTAssertTrue(errors.contains("rule 1 (`id.hardware`)"), errors)
        }
    }

    func testAnUnusableStorageDirectoryIsATypedError() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("plain-file")
        try Data("not a directory".utf8).write(to: file)
        XCTAssertThrowsError(try Modicum.start(config: .init(storageDirectory: file, appID: "dev.modicum.test"))) {
            error in
            guard case .StorageUnusable(let path, _) = error as? ModicumError else {
                return XCTFail("expected StorageUnusable, got \(error)")
            }
            XCTAssertEqual(path, file.path)
        }
    }

    private func ledger(_ modicum: Modicum, _ category: String) throws -> [String: UInt64] {
        let data = Data(modicum.ledgerJSON().utf8)
        let all = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (all[category] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.uint64Value }
    }

    func testEveryRecordCallIsCountedInTheCoresLedger() throws {
        let modicum = try Modicum.start(
            config: .init(
                storageDirectory: directory.appendingPathComponent("store"), appID: "dev.modicum.test",
                bufferCapacity: 1
            ))
        var calls: UInt64 = 0
        for _ in 0..<3 {
            try modicum.record("before consent")
            calls += 1
        }
        try modicum.setConsent(.analytics, granted: true)
        // A buffer of one: a burst overflows it before the background drain runs.
        for i in 0..<2_000 {
            try modicum.record("burst", properties: ["i": .int(value: Int64(i))])
            calls += 1
        }
        XCTAssertThrowsError(try modicum.record(""))
        calls += 1
        try modicum.flush()
        try modicum.record("not a number", properties: ["ratio": .double(value: .nan)])
        calls += 1
        try modicum.flush()
        let counts = try ledger(modicum, "analytics")
        XCTAssertEqual(counts["collected"], calls, "\(counts)")
        XCTAssertEqual(counts["dropped_for_consent"], 3, "\(counts)")
        XCTAssertEqual(counts["dropped_invalid"], 2, "\(counts)")
        XCTAssertGreaterThan(counts["dropped_buffer_full"] ?? 0, 0, "\(counts)")
        XCTAssertEqual(counts["dropped_buffer_full"], modicum.droppedEvents)
        let outcomes = ["dropped_for_consent", "dropped_buffer_full", "dropped_invalid", "dropped_queue_full", "kept"]
        XCTAssertEqual(outcomes.reduce(0) { $0 + (counts[$1] ?? 0) }, calls, "one outcome per call: \(counts)")
    }

    func testEventsRecordedBeforeAResetKeepTheOldPseudonym() throws {
        let modicum = try start()
        try modicum.setConsent(.analytics, granted: true)
        try modicum.setConsent(.identifiers, granted: true)
        // Still in the buffer when the reset is asked for: it must reach the core first.
        try modicum.record("before", properties: ["install": "same-install-id"], classes: ["install": .idInstall])
        try modicum.resetIdentifiers()
        try modicum.record("after", properties: ["install": "same-install-id"], classes: ["install": .idInstall])
        var pseudonyms: [String: String] = [:]
        for event in try held(modicum) {
            let properties = try XCTUnwrap(event["properties"] as? [String: Any])
            pseudonyms[try XCTUnwrap(event["name"] as? String)] = properties["install"] as? String
        }
        XCTAssertEqual(Set(pseudonyms.keys), ["before", "after"])
        XCTAssertNotEqual(pseudonyms["before"], pseudonyms["after"])
    }

    /// The defaults the README's table lists, the same as Kotlin's (`defaultsAreTheOnesTheReadmeLists`).
    func testDefaultsAreTheOnesTheReadmeLists() {
        let config = Modicum.Configuration(
            storageDirectory: URL(fileURLWithPath: "/tmp/modicum-defaults"), appID: "dev.modicum.test")
        XCTAssertTrue(config.reportsCrashes)
        XCTAssertTrue(config.uploadsOnlyWhenUnmetered)
        XCTAssertTrue(config.sealsOnBackground)
        XCTAssertEqual(config.bufferCapacity, 10_000)
        XCTAssertNil(config.pseudonymRotationDays)
        XCTAssertNil(config.policyDocument)
        XCTAssertNil(config.homeRegion)
        XCTAssertTrue(config.tracksSessions)
        XCTAssertNil(config.appVersion)
    }

    /// Timeouts are seconds (`TimeInterval`); the core gets whole milliseconds, clamped.
    func testTimeoutsAreSecondsTheCoreGetsClampedToWholeMilliseconds() throws {
        XCTAssertEqual(TimeInterval(1.5).millisecondsForCore, 1_500)
        XCTAssertEqual(TimeInterval(-3).millisecondsForCore, 0)
        XCTAssertEqual(TimeInterval.nan.millisecondsForCore, 0)
        XCTAssertEqual(TimeInterval.infinity.millisecondsForCore, .max)
        XCTAssertEqual(UInt64(timeout: 30), 30_000)
        let modicum = try start()
        try modicum.flush(timeout: 2)
    }
}
