#if !(canImport(SwiftUI) && os(iOS))
    import Foundation
    import Modicum

    /// Runs the sample's flow against a temporary directory and checks what Modicum holds: no
    /// event before consent, the tapped event after it. Exits non-zero on any failure.
    @main
    struct CommandLineSample {
        @MainActor
        static func main() async throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("modicum-sample-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }

            let flow = try SampleFlow.start(storageDirectory: directory)
            try check(!flow.recordTap(count: 1), "an event was taken before consent")
            try flow.setAnalyticsConsent(true)
            try check(flow.analyticsGranted, "analytics consent did not apply")
            try check(flow.recordTap(count: 2), "an event was refused after consent")
            try await flow.flush()
            let held = try await flow.modicum.heldEventsJSON()
            try check(held.contains("\"name\":\"button_tapped\"") && held.contains("\"count\":2"), "not held: \(held)")
            try check(!held.contains("\"count\":1"), "the event before consent was held: \(held)")
            try await flow.deleteAll()
            try check(try await flow.modicum.heldEventsJSON() == "[]", "the erasure left events")
            try check(!flow.analyticsGranted, "the erasure left consent")
            try flow.modicum.shutdown()
            print("ModicumSample: start, consent, record, flush and erasure ok")
        }

        private static func check(_ condition: Bool, _ failure: String) throws {
            guard condition else {
                FileHandle.standardError.write(Data("ModicumSample: \(failure)\n".utf8))
                exit(1)
            }
        }
    }
#endif
