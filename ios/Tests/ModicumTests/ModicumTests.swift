import Foundation
import XCTest
@testable import Modicum

final class ModicumTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("modicum-swift-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func start() throws -> Modicum {
        try Modicum.start(.init(storageDirectory: directory.appendingPathComponent("store"), appID: "dev.modicum.test"))
    }

    private func held(_ modicum: Modicum) throws -> [[String: Any]] {
        let data = Data(modicum.heldEventsJSON().utf8)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    func testRecordsOnlyWithConsentAndReadsBackMinimizedJSON() throws {
        let modicum = try start()
        XCTAssertFalse(try modicum.record("opened"), "nothing is held without consent")

        modicum.setConsent(.analytics, granted: true)
        XCTAssertEqual(modicum.grantedCategories, ["analytics"])
        let kept = try modicum.record("checkout", properties: [
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
        XCTAssertFalse(modicum.heldEventsJSON().contains("ann@example.org"))
    }

    func testWithdrawingConsentDiscardsHeldEvents() throws {
        let modicum = try start()
        modicum.setConsent(.analytics, granted: true)
        try modicum.record("a")
        modicum.setConsent(.analytics, granted: false)
        XCTAssertEqual(modicum.heldEventsJSON(), "[]")
    }

    func testEveryFacadeCategoryIsOneTheCoreKnows() throws {
        let modicum = try start()
        for category in ConsentCategory.allCases {
            try modicum.setConsent(named: category.rawValue, granted: true)
        }
        XCTAssertEqual(modicum.grantedCategories, Set(ConsentCategory.allCases.map(\.rawValue)))
    }

    func testBadInputIsATypedError() throws {
        let modicum = try start()
        modicum.setConsent(.analytics, granted: true)
        XCTAssertThrowsError(try modicum.record("")) { error in
            XCTAssertEqual(error as? ModicumError, .EmptyEventName)
        }
        XCTAssertThrowsError(try modicum.setConsent(named: "telepathy", granted: true)) { error in
            XCTAssertEqual(error as? ModicumError, .UnknownCategory(name: "telepathy"))
        }
        XCTAssertThrowsError(try modicum.record("e", properties: ["ratio": .double(value: .nan)])) { error in
            guard case .InvalidProperty(let key, _) = error as? ModicumError else {
                return XCTFail("expected InvalidProperty, got \(error)")
            }
            XCTAssertEqual(key, "ratio")
        }
        XCTAssertEqual(modicum.heldEventsJSON(), "[]")
    }

    func testAnUnusableStorageDirectoryIsATypedError() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("plain-file")
        try Data("not a directory".utf8).write(to: file)
        XCTAssertThrowsError(try Modicum.start(.init(storageDirectory: file, appID: "dev.modicum.test"))) { error in
            guard case .StorageUnusable(let path, _) = error as? ModicumError else {
                return XCTFail("expected StorageUnusable, got \(error)")
            }
            XCTAssertEqual(path, file.path)
        }
    }
}
