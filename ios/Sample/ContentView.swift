#if canImport(SwiftUI)
    import SwiftUI

    /// A consent toggle, a button that records an event and one that erases: the whole
    /// integration a screen needs.
    struct ContentView: View {
        let flow: SampleFlow
        @State private var analytics = false
        @State private var taps = 0
        @State private var lastTaken: Bool?
        @State private var status: String?

        var body: some View {
            Form {
                Toggle("Share usage analytics", isOn: $analytics)
                    .onChange(of: analytics) { granted in
                        try? flow.setAnalyticsConsent(granted)
                    }
                Button("Record an event") {
                    taps += 1
                    lastTaken = try? flow.recordTap(count: taps)
                }
                Button("Delete my data") {
                    Task {
                        do {
                            try await flow.deleteAll()
                            analytics = false
                            status = "Deleted"
                        } catch {
                            status = "Not deleted: try again"
                        }
                    }
                }
                if let status {
                    Text(status)
                }
                if let lastTaken {
                    Text(lastTaken ? "Recorded tap \(taps)" : "Not recorded: analytics is off")
                }
            }
            .onAppear { analytics = flow.analyticsGranted }
        }
    }
#endif
