#if canImport(SwiftUI)
    import SwiftUI

    /// A consent toggle and a button that records an event: the whole integration a screen needs.
    struct ContentView: View {
        let flow: SampleFlow
        @State private var analytics = false
        @State private var taps = 0
        @State private var lastTaken: Bool?

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
                if let lastTaken {
                    Text(lastTaken ? "Recorded tap \(taps)" : "Not recorded: analytics is off")
                }
            }
            .onAppear { analytics = flow.analyticsGranted }
        }
    }
#endif
