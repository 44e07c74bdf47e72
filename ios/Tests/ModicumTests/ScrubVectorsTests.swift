import Foundation
import XCTest
@testable import Modicum

/// The scrubbing corpus in tests/vectors/scrub.json, through the bindings: same results as Rust.
final class ScrubVectorsTests: XCTestCase {
    private struct Corpus: Decodable {
        struct Case: Decodable {
            let name: String
            let input: String
            let expected: String
        }
        let cases: [Case]
    }

    func testEveryCaseScrubsAsTheCorpusSays() throws {
        let dir = try XCTUnwrap(ProcessInfo.processInfo.environment["MODICUM_VECTORS"], "MODICUM_VECTORS is not set")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("scrub.json"))
        let corpus = try JSONDecoder().decode(Corpus.self, from: data)
        XCTAssertFalse(corpus.cases.isEmpty)
        let mismatches = corpus.cases.compactMap { c -> String? in
            let actual = scrub(text: c.input)
            return actual == c.expected ? nil : "\(c.name): got <\(actual)>"
        }
        XCTAssertEqual(mismatches, [], mismatches.joined(separator: "\n"))
    }
}
