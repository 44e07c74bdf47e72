#if canImport(SwiftUI) && os(iOS)
    import SwiftUI

    /// The sample app: Modicum starts with the app; the one screen asks for consent and records.
    @main
    struct SampleApp: App {
        @State private var flow: SampleFlow?
        @State private var failure: String?

        init() {
            let directory = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
                .appendingPathComponent("modicum", isDirectory: true)
            do {
                _flow = State(initialValue: try SampleFlow.start(storageDirectory: directory))
            } catch {
                _failure = State(initialValue: "\(error)")
            }
        }

        var body: some Scene {
            WindowGroup {
                if let flow {
                    ContentView(flow: flow)
                } else {
                    Text("Modicum could not start: \(failure ?? "unknown error")")
                }
            }
        }
    }
#endif
