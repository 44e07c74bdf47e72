import Foundation
import XCTest
@testable import Modicum

/// The minimization vectors in tests/vectors/minimize.json, through the bindings: a fresh
/// install per case, the case's grants and age band, one event, then what is held. Rust and
/// Kotlin check the same cases.
final class MinimizeVectorsTests: XCTestCase {
    func testEveryCaseMinimizesAsTheVectorsSay() throws {
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["MODICUM_VECTORS"], "MODICUM_VECTORS is not set")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("minimize.json"))
        let vectors = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(vectors["cases"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        var mismatches: [String] = []
        for c in cases {
            let actual = try outcome(c)
            let expected = c["expected"]
            let same: Bool
            if let expected = expected as? NSDictionary, let actual = actual as? NSDictionary {
                same = expected.isEqual(actual)
            } else {
                same = expected is NSNull && actual is NSNull
            }
            if !same {
                mismatches.append(
                    "\(c["name"] ?? "?"):\n  expected \(String(describing: expected))\n  actual   \(actual)")
            }
        }
        XCTAssertEqual(mismatches, [], mismatches.joined(separator: "\n"))
    }

    private func outcome(_ c: [String: Any]) throws -> Any {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("modicum-vectors-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let core = try ModicumCore.start(config: ModicumConfig(storageDir: dir.path, appId: "dev.modicum.vectors"))
        let age: AgeBand =
            switch c["age"] as? String {
            case "minor": .minor
            case "child": .child
            default: .adult
            }
        _ = try core.setAge(age: age, guardianConsent: c["guardian_consent"] as? Bool ?? false)
        for grant in c["grants"] as? [String] ?? [] {
            _ = try core.setConsent(category: grant, granted: true)
        }
        _ = try core.recordEvent(event: try event(try XCTUnwrap(c["event"] as? [String: Any])))
        try core.flush(timeoutMs: 10_000)
        let held = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(core.heldEventsJson().utf8)) as? [[String: Any]])
        guard let one = held.first else { return NSNull() }
        XCTAssertEqual(held.count, 1)
        var properties = one["properties"] as? [String: Any] ?? [:]
        for (key, value) in properties {
            if let s = value as? String, isPseudonym(s) { properties[key] = "<pseudonym>" }
        }
        return ["category": one["category"] ?? NSNull(), "basis": one["basis"] ?? NSNull(), "properties": properties]
            as NSDictionary
    }

    /// Pseudonyms differ per install: compared by shape, as the vectors write them.
    private func isPseudonym(_ s: String) -> Bool {
        s.count == 35 && s.hasPrefix("p1_") && s.dropFirst(3).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    private func event(_ spec: [String: Any]) throws -> CustomEvent {
        let properties = try XCTUnwrap(spec["properties"] as? [String: [String: Any]])
        let classes = spec["classes"] as? [String: String] ?? [:]
        return CustomEvent(
            name: try XCTUnwrap(spec["name"] as? String),
            category: spec["category"] as? String,
            properties: try properties.mapValues(value),
            classes: try classes.mapValues(dataClass)
        )
    }

    private func value(_ v: [String: Any]) throws -> PropertyValue {
        let (kind, inner) = try XCTUnwrap(v.first)
        switch kind {
        case "text": return .text(value: try XCTUnwrap(inner as? String))
        case "int": return .int(value: try XCTUnwrap((inner as? NSNumber)?.int64Value))
        case "double": return .double(value: try XCTUnwrap((inner as? NSNumber)?.doubleValue))
        case "bool": return .bool(value: try XCTUnwrap(inner as? Bool))
        case "location":
            let pair = try XCTUnwrap(inner as? [NSNumber])
            return .location(latitude: pair[0].doubleValue, longitude: pair[1].doubleValue)
        default: throw VectorError.unknown("value kind \(kind)")
        }
    }

    private func dataClass(_ name: String) throws -> DataClass {
        switch name {
        case "device.basic": return .deviceBasic
        case "device.capacity": return .deviceCapacity
        case "device.screen": return .deviceScreen
        case "id.install": return .idInstall
        case "id.vendor": return .idVendor
        case "id.advertising": return .idAdvertising
        case "id.hardware": return .idHardware
        case "contact": return .contact
        case "network.ip": return .networkIp
        case "network.basic": return .networkBasic
        case "network.carrier": return .networkCarrier
        case "location": return .location
        case "sensor": return .sensor
        case "text": return .text
        case "time": return .time
        case "custom": return .custom
        default: throw VectorError.unknown("data class \(name)")
        }
    }
}

/// A vector names something this test does not know: a failure, never a skip.
private enum VectorError: Error {
    case unknown(String)
}
