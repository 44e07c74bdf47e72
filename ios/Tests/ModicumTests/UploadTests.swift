import Foundation
import XCTest
@testable import Modicum

/// Record → flush → upload through `URLSessionUploader` to the reference ingest server, which
/// ios/host/test.sh starts on 127.0.0.1 (MODICUM_COLLECTOR_URL, MODICUM_COLLECTOR_PUB); then
/// `modicum inspect` (MODICUM_CLI) shows what the server's database holds.
final class UploadTests: TemporaryDirectoryTestCase {
    private struct Collector {
        var url: String
        var publicKey: Data
        var cli: String
        var db: String
    }

    private func collector() throws -> Collector {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["MODICUM_COLLECTOR_URL"], let publicHex = env["MODICUM_COLLECTOR_PUB"],
            let cli = env["MODICUM_CLI"], let db = env["MODICUM_COLLECTOR_DB"]
        else {
            throw XCTSkip("no collector: run through ios/host/test.sh")
        }
        var key = Data()
        var hex = Substring(publicHex)
        while hex.count >= 2 {
            key.append(try XCTUnwrap(UInt8(hex.prefix(2), radix: 16)))
            hex = hex.dropFirst(2)
        }
        return Collector(url: url, publicKey: key, cli: cli, db: db)
    }

    /// `modicum inspect --contains …`: which needles the stored events or device context hold.
    private func inspect(_ collector: Collector, _ needles: [String]) throws -> String {
        let inspect = Process()
        inspect.executableURL = URL(fileURLWithPath: collector.cli)
        inspect.arguments = ["inspect", "--db", collector.db] + needles.flatMap { ["--contains", $0] }
        let pipe = Pipe()
        inspect.standardOutput = pipe
        try inspect.run()
        inspect.waitUntilExit()
        let summary = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(inspect.terminationStatus, 0, summary)
        return summary
    }

    func testEventsReachTheServerMinimized() throws {
        let collector = try collector()
        let modicum = try Modicum.start(
            config: .init(
                storageDirectory: directory, appID: "dev.modicum.swift", collectorPublicKey: collector.publicKey,
                endpoints: [Endpoint(region: "eu", url: collector.url)]
            ))
        try modicum.setConsent(.analytics, granted: true)
        for i in 0..<80 {
            try modicum.record("purchase", properties: ["i": .int(value: Int64(i)), "note": "mail bo@example.com"])
        }
        try modicum.flush()
        let report = try modicum.uploadPending()
        XCTAssertEqual(report.deliveredEvents, 80, "\(report)")
        XCTAssertNil(report.waiting)
        XCTAssertEqual(modicum.pendingBatches, 0)
        try modicum.shutdown()

        let summary = try inspect(collector, ["bo@example.com", "dev.modicum.swift"])
        XCTAssertTrue(summary.contains("\"bo@example.com\":false"), summary)
        XCTAssertTrue(summary.contains("\"dev.modicum.swift\":true"), summary)
    }

    /// The Linux device provider's readings travel with the batch as its device context.
    func testTheDeviceProvidersReadingsReachTheServer() throws {
        let collector = try collector()
        let provider = ProcessInfoDeviceInfoProvider(storageDirectory: directory, appVersion: "7.3.1-swift-device")
        let modicum = try Modicum.start(
            config: .init(
                storageDirectory: directory, appID: "dev.modicum.swift.device", collectorPublicKey: collector.publicKey,
                endpoints: [Endpoint(region: "eu", url: collector.url)], deviceInfo: provider
            ))
        try modicum.setConsent(.diagnostics, granted: true)
        try modicum.setConsent(.analytics, granted: true)
        try modicum.record("opened")
        try modicum.flush()
        XCTAssertEqual(try modicum.uploadPending().deliveredEvents, 1)
        try modicum.shutdown()

        let osVersion = try XCTUnwrap(try provider.deviceInfo().osVersion)
        let summary = try inspect(collector, ["7.3.1-swift-device", osVersion])
        XCTAssertTrue(summary.contains("\"7.3.1-swift-device\":true"), summary)
        XCTAssertTrue(summary.contains("\"\(osVersion)\":true"), summary)
    }

    /// On a metered network the batch waits while the deletion request reaches the server.
    func testOnlyWhenUnmeteredHoldsBatchesButNotTheDeletionRequest() throws {
        let collector = try collector()
        let modicum = try Modicum.start(
            config: .init(
                storageDirectory: directory, appID: "dev.modicum.swift.metered",
                collectorPublicKey: collector.publicKey,
                endpoints: [Endpoint(region: "eu", url: collector.url)], uploadsOnlyWhenUnmetered: true
            ))
        let metered = UploadConditions(connected: true, metered: true, batteryLow: false)
        try modicum.setConsent(.analytics, granted: true)
        // Data reached the collector once (on Wi-Fi), so the erasure owes it a deletion request.
        try modicum.record("first")
        let wifi = UploadConditions(connected: true, metered: false, batteryLow: false)
        XCTAssertEqual(try modicum.uploadPending(conditions: wifi).deliveredEvents, 1)
        try modicum.record("opened")
        try modicum.sealNow()
        let held = try modicum.uploadPending(conditions: metered)
        XCTAssertEqual(held.requests, 0, "\(held)")
        XCTAssertEqual(held.waiting, .unmetered)
        XCTAssertEqual(modicum.pendingBatches, 1)

        try modicum.deleteAll()
        let deletion = try modicum.uploadPending(conditions: metered)
        XCTAssertEqual(deletion.requests, 1, "\(deletion)")
        XCTAssertNil(deletion.waiting, "the collector took the deletion request")
        try modicum.shutdown()
    }
}
