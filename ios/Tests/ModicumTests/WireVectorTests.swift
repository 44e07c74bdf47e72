import Foundation
import XCTest

/// The wire-format vectors in tests/vectors (wire.json in format 2, wire-v1.json in format 1),
/// read from docs/wire-format.md alone: the sealed batch's header (section 1) and the
/// MessagePack payload (section 5) decoded to the vector's batch. (Opening HPKE and inflating need libraries Foundation lacks on Linux; Rust and
/// Kotlin check those layers of the same vector.)
final class WireVectorTests: XCTestCase {
    func testTheVectorsHeaderAndPayloadDecodeToItsBatch() throws {
        try check("wire.json", format: 2)
    }

    func testTheFormat1VectorStillDecodesToTheSameBatch() throws {
        try check("wire-v1.json", format: 1)
    }

    private func check(_ file: String, format: UInt8) throws {
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["MODICUM_VECTORS"], "MODICUM_VECTORS is not set")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(file))
        let vector = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        let sealed = try hex(try XCTUnwrap(vector["sealed_hex"] as? String))
        XCTAssertEqual(Array(sealed[0..<4]), Array("MDCM".utf8))
        XCTAssertEqual(sealed[4], format, "format version")
        if format == 2 {
            XCTAssertEqual(sealed[5], 1, "AES-128-GCM")
            XCTAssertEqual(bigEndian(sealed[46..<50]), 5, "event count")
            XCTAssertEqual(bigEndian(sealed[50..<56]), 1_795_300_000_000, "created at")
            XCTAssertGreaterThanOrEqual(sealed.count, 56 + 16, "a ciphertext with its tag")
        } else {
            XCTAssertEqual(bigEndian(sealed[5..<7]), 1, "AES-128-GCM")
            XCTAssertEqual(bigEndian(sealed[63..<67]), 5, "event count")
            XCTAssertEqual(bigEndian(sealed[67..<75]), 1_795_300_000_000, "created at")
            XCTAssertEqual(Int(bigEndian(sealed[75..<79])), sealed.count - 79, "ciphertext length")
        }

        var reader = MessagePack(bytes: try hex(try XCTUnwrap(vector["payload_msgpack_hex"] as? String)))
        let decoded = try decode(try reader.read())
        let expected = try XCTUnwrap(vector["batch"] as? NSDictionary)
        XCTAssertNil(difference(expected, decoded as NSDictionary, at: "batch"))
        // Numbers compare by value, which takes -0.0 for 0.0: the sign must survive the wire.
        let events = try XCTUnwrap(decoded["events"] as? [[String: Any]])
        let request = try XCTUnwrap(events.first { $0["name"] as? String == "request" })
        let properties = try XCTUnwrap(request["properties"] as? [String: Any])
        let zero = try XCTUnwrap(properties["zero"] as? Double)
        XCTAssertEqual(zero.bitPattern, (-0.0 as Double).bitPattern, "negative zero keeps its sign")
        XCTAssertEqual(properties["average"] as? Double, 16.285714285714285)
    }

    /// Where two JSON-shaped values first differ, and how; nil if they agree. Numbers compare by
    /// value, as JSON numbers do.
    private func difference(_ a: Any, _ b: Any, at path: String) -> String? {
        switch (a, b) {
        case let (a as NSDictionary, b as NSDictionary):
            guard Set(a.allKeys.map { "\($0)" }) == Set(b.allKeys.map { "\($0)" }) else {
                return "\(path): keys \(a.allKeys) vs \(b.allKeys)"
            }
            return a.allKeys.lazy.compactMap { k in self.difference(a[k]!, b[k]!, at: "\(path).\(k)") }.first
        case let (a as NSArray, b as NSArray):
            guard a.count == b.count else { return "\(path): \(a.count) vs \(b.count) items" }
            return (0..<a.count).lazy.compactMap { i in self.difference(a[i], b[i], at: "\(path)[\(i)]") }.first
        case let (a as String, b as String):
            return a == b ? nil : "\(path): \(a) vs \(b)"
        case let (a as NSNumber, b as NSNumber):
            // Foundation's JSON parser on Linux does not always round decimals correctly
            // (0.30000000000000004 comes back one ulp off), so one ulp is allowed here; Rust and
            // Kotlin compare the same vector exactly.
            let (x, y) = (a.doubleValue, b.doubleValue)
            return x == y || abs(x - y) <= x.ulp ? nil : "\(path): \(a) vs \(b)"
        case (is NSNull, is NSNull):
            return nil
        default:
            return "\(path): \(type(of: a)) \(a) vs \(type(of: b)) \(b)"
        }
    }

    private let categories = [
        "essential", "diagnostics", "analytics", "identifiers", "location",
        "location_precise", "sensors", "sensors_raw", "advertising", "cross_border",
    ]

    private func decode(_ payload: Any?) throws -> [String: Any] {
        let fields = try XCTUnwrap(payload as? [Any?])
        // Schema 2 has schema 1's layout; its install pseudonym is a deletion token's hash.
        XCTAssertEqual(fields[0] as? Int64, 2, "schema")
        let meta = try XCTUnwrap(fields[1] as? [Any?])
        let strings = try XCTUnwrap(fields[2] as? [String])
        func text(_ index: Any?) throws -> String { strings[Int(try XCTUnwrap(index as? Int64))] }
        var events: [[String: Any]] = []
        for case let group as [Any?] in try XCTUnwrap(fields[3] as? [Any?]) {
            var at = try XCTUnwrap(group[3] as? Int64)
            let deltas = try XCTUnwrap(group[4] as? [Any?]).map { try XCTUnwrap($0 as? Int64) }
            let times = deltas.enumerated().map { i, d -> Int64 in
                if i > 0 { at += d }; return at
            }
            var properties = Array(repeating: [String: Any](), count: times.count)
            for case let column as [Any?] in try XCTUnwrap(group[5] as? [Any?]) {
                let key = try text(column[0])
                let (kind, cells) = try XCTUnwrap((column[1] as? [String: Any?])?.first)
                var values: [Any?]
                switch kind {
                case "Decimal":
                    let pair = try XCTUnwrap(cells as? [Any?])
                    let scale = Double(try XCTUnwrap(pair[0] as? Int64))
                    values = try XCTUnwrap(pair[1] as? [Any?]).map { n in
                        (n as? Int64).map { Double($0) / pow(10, scale) }
                    }
                case "Text":
                    values = try XCTUnwrap(cells as? [Any?]).map { i in try i.map(text) }
                case "Location":
                    values = try XCTUnwrap(cells as? [Any?]).map {
                        ($0 as? [Any?]).map { ["lat": $0[0]!, "lon": $0[1]!] }
                    }
                default:
                    values = try XCTUnwrap(cells as? [Any?])
                }
                XCTAssertEqual(values.count, times.count, "a column has one cell per event")
                for (i, v) in values.enumerated() { if let v { properties[i][key] = v } }
            }
            let basis = (group[2] as? Int64) == 1 ? "essential" : "consent"
            for (i, t) in times.enumerated() {
                events.append([
                    "name": try text(group[0]), "category": categories[Int(try XCTUnwrap(group[1] as? Int64))],
                    "basis": basis, "recorded_at_ms": t, "properties": properties[i],
                ])
            }
        }
        events.sort { ($0["recorded_at_ms"] as! Int64) < ($1["recorded_at_ms"] as! Int64) }
        var device: [String: Any] = [:]
        for case let pair as [Any?] in try XCTUnwrap(meta[4] as? [Any?]) {
            let (kind, value) = try XCTUnwrap((pair[1] as? [String: Any?])?.first)
            device[try text(pair[0])] = kind == "Text" ? try text(value) : try XCTUnwrap(value)
        }
        return [
            "meta": [
                "app_id": try text(meta[0]), "install": try meta[1].map(text) ?? NSNull(),
                "sdk_version": try text(meta[2]), "created_at_ms": try XCTUnwrap(meta[3] as? Int64), "device": device,
            ],
            "events": events,
        ]
    }

    private func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }

    private func hex(_ s: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(try XCTUnwrap(UInt8(s[i..<j], radix: 16)))
            i = j
        }
        return out
    }
}

/// A MessagePack reader for what section 5 uses.
private struct MessagePack {
    let bytes: [UInt8]
    var at = 0

    private mutating func be(_ n: Int) -> UInt64 {
        defer { at += n }
        return bytes[at..<at + n].reduce(0) { $0 << 8 | UInt64($1) }
    }
    private mutating func str(_ n: Int) -> String {
        defer { at += n }
        return String(decoding: bytes[at..<at + n], as: UTF8.self)
    }
    private mutating func list(_ n: Int) throws -> [Any?] { try (0..<n).map { _ in try read() } }
    private mutating func map(_ n: Int) throws -> [String: Any?] {
        var m: [String: Any?] = [:]
        for _ in 0..<n { let k = try read() as? String ?? ""; m[k] = try read() }
        return m
    }

    mutating func read() throws -> Any? {
        let b = bytes[at]
        at += 1
        switch b {
        case 0x00...0x7f: return Int64(b)
        case 0x80...0x8f: return try map(Int(b & 0x0f))
        case 0x90...0x9f: return try list(Int(b & 0x0f))
        case 0xa0...0xbf: return str(Int(b & 0x1f))
        case 0xe0...0xff: return Int64(Int8(bitPattern: b))
        case 0xc0: return nil
        case 0xc2: return false
        case 0xc3: return true
        case 0xca: return Double(Float(bitPattern: UInt32(be(4))))
        case 0xcb: return Double(bitPattern: be(8))
        case 0xcc: return Int64(be(1))
        case 0xcd: return Int64(be(2))
        case 0xce: return Int64(be(4))
        case 0xcf: return Int64(bitPattern: be(8))
        case 0xd0: return Int64(Int8(truncatingIfNeeded: be(1)))
        case 0xd1: return Int64(Int16(truncatingIfNeeded: be(2)))
        case 0xd2: return Int64(Int32(truncatingIfNeeded: be(4)))
        case 0xd3: return Int64(bitPattern: be(8))
        case 0xd9: return str(Int(be(1)))
        case 0xda: return str(Int(be(2)))
        case 0xdb: return str(Int(be(4)))
        case 0xdc: return try list(Int(be(2)))
        case 0xdd: return try list(Int(be(4)))
        case 0xde: return try map(Int(be(2)))
        case 0xdf: return try map(Int(be(4)))
        default: throw MessagePackError.unused(b)
        }
    }
}

private enum MessagePackError: Error {
    case unused(UInt8)
}
