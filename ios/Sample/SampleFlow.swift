import Foundation
import Modicum

/// Everything the sample app does with Modicum, without UI: start with the platform's
/// providers, pass the user's consent, record, flush, erase. The SwiftUI app calls it on iOS; the
/// command-line entry runs it on every other platform, so this code is built and run by the
/// host tests and cannot drift from the API.
struct SampleFlow: Sendable {
    let modicum: Modicum

    @MainActor
    static func start(storageDirectory: URL) throws -> SampleFlow {
        var config = Modicum.Configuration(storageDirectory: storageDirectory, appID: "dev.modicum.sample")
        #if canImport(UIKit) && os(iOS)
            config.deviceInfo = UIDeviceInfoProvider()
            config.network = PathNetworkProvider()
            config.secretStore = KeychainSecretStore()
            config.reportsCrashes = true
        #else
            config.deviceInfo = ProcessInfoDeviceInfoProvider(storageDirectory: storageDirectory)
        #endif
        config.onError = { error in print("Modicum: \(error)") }
        return SampleFlow(modicum: try Modicum.start(config: config))
    }

    var analyticsGranted: Bool {
        modicum.permittedCategories.contains(.analytics)
    }

    /// Applies at once, without waiting (a toggle calls it on the main thread); should saving
    /// it fail, `onError` hears.
    func setAnalyticsConsent(_ granted: Bool) throws {
        try modicum.setConsent(.analytics, granted: granted)
    }

    /// Returns whether the event was taken (false without analytics consent).
    @discardableResult
    func recordTap(count: Int) throws -> Bool {
        try modicum.record("button_tapped", properties: ["count": .int(value: Int64(count)), "screen": "home"])
    }

    /// Suspends while Modicum waits for the disk on a background queue.
    func flush() async throws {
        try await modicum.flush()
    }

    /// Returns once the erasure is on disk, so the screen can tell the truth.
    func deleteAll() async throws {
        try await modicum.deleteAll()
    }
}
