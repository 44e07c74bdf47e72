import Foundation
import XCTest
@testable import Modicum

/// Record → flush → upload through `URLSessionUploader` to the reference ingest server, which
/// ios/host/test.sh starts on 127.0.0.1 (MODICUM_COLLECTOR_URL, MODICUM_COLLECTOR_PUB); then
/// `modicum inspect` (MODICUM_CLI) shows the server's database holds the minimized events.
final class UploadTests: XCTestCase {
    func testEventsReachTheServerMinimized() throws {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["MODICUM_COLLECTOR_URL"], let publicHex = env["MODICUM_COLLECTOR_PUB"],
              let cli = env["MODICUM_CLI"], let db = env["MODICUM_COLLECTOR_DB"]
        else {
            throw XCTSkip("no collector: run through ios/host/test.sh")
        }
        var key = Data()
        var hex = Substring(publicHex)
        while hex.count >= 2 {
            key.append(UInt8(hex.prefix(2), radix: 16)!)
            hex = hex.dropFirst(2)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modicum-upload-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let modicum = try Modicum.start(config: .init(
            storageDirectory: directory, appID: "dev.modicum.swift", collectorPublicKey: key,
            endpoints: [Endpoint(region: "eu", url: url)]
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

        let inspect = Process()
        inspect.executableURL = URL(fileURLWithPath: cli)
        inspect.arguments = ["inspect", "--db", db, "--contains", "bo@example.com", "--contains", "dev.modicum.swift"]
        let pipe = Pipe()
        inspect.standardOutput = pipe
        try inspect.run()
        inspect.waitUntilExit()
        let summary = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(inspect.terminationStatus, 0, summary)
        XCTAssertTrue(summary.contains("\"bo@example.com\":false"), summary)
        XCTAssertTrue(summary.contains("\"dev.modicum.swift\":true"), summary)
    }
}
