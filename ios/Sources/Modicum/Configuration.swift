import Foundation

extension Modicum {
    /// What ``Modicum/start(config:)`` needs: a directory private to the app and the app's id;
    /// everything else has a default that collects the least.
    public struct Configuration: Sendable {
        public var storageDirectory: URL
        public var appID: String
        /// The app's own policy document (JSON; `modicum policy json` converts TOML); the built-in policy if nil.
        public var policyDocument: String?
        /// Days pseudonyms last before they rotate; 30 if nil.
        public var pseudonymRotationDays: UInt32?
        /// The collector's X25519 public key (32 bytes); without it nothing is sealed for upload.
        public var collectorPublicKey: Data?
        /// Collector base URLs by region; the first one's region is home unless `homeRegion` says.
        public var endpoints: [Endpoint]
        public var homeRegion: String?

        /// Reads the device (model, OS, memory, storage, screen, battery) when a batch is
        /// sealed. `UIDeviceInfoProvider` on iOS; without one no device context is attached.
        public var deviceInfo: DeviceInfoProvider?
        /// The network for upload decisions; `PathNetworkProvider` on iOS. A
        /// ``ConnectivityReporting`` provider also records each change of connectivity.
        public var network: NetworkProvider?
        /// Keeps the at-rest key and the install secret; `KeychainSecretStore` on iOS. Without
        /// one they are files in `storageDirectory` (weaker: a backup of the folder holds the key).
        public var secretStore: SecretStore?

        /// Records crashes: Rust panics and fatal signals in the core, and on Apple platforms
        /// uncaught Objective-C exceptions through ``CrashHandler``. Each chains to the handler
        /// installed before it, so an app's own crash reporter still sees every crash. On by
        /// default, as on Android. A report is diagnostics data, kept only with that consent
        /// (or as essential processing, when the app's policy declares it).
        public var reportsCrashes: Bool

        /// Holds every batch until the network is unmetered (Wi-Fi, Ethernet) rather than only
        /// raw sensor batches; essential batches (crash reports, when the policy declares
        /// essential processing) and deletion requests still go on any network. On by default,
        /// as on Android: telemetry should not spend the user's mobile data.
        public var uploadsOnlyWhenUnmetered: Bool

        /// iOS: when the app goes to the background (`didEnterBackgroundNotification`), hand
        /// what was recorded to the core, seal it and call ``scheduleUpload``, on a background
        /// queue inside a background task. On by default, as on Android.
        public var sealsOnBackground: Bool
        /// Called after that seal, off the main thread: submit the app's `BGProcessingTaskRequest`
        /// for its upload task here (only the app can register one in its Info.plist).
        public var scheduleUpload: (@Sendable () -> Void)?

        /// The version release health counts sessions under; the bundle's
        /// `CFBundleShortVersionString` when nil.
        public var appVersion: String?
        /// iOS: follow the app to count release health sessions (a session is a stay in the
        /// foreground, from `didBecomeActiveNotification` to `didEnterBackgroundNotification`;
        /// counted only while `diagnostics` is permitted). Off, the app may call
        /// ``Modicum/enteredForeground()`` and ``Modicum/enteredBackground()`` itself.
        public var tracksSessions: Bool

        /// Events that may wait in memory for the core before `record` drops (and counts) them.
        public var bufferCapacity: Int
        /// Receives what `record` could not report synchronously: an event the core refused
        /// (a bad property, say), found when the buffer reached the core. Called on a
        /// background queue; never thrown at the app.
        public var onError: (@Sendable (ModicumError) -> Void)?

        public init(
            storageDirectory: URL, appID: String, policyDocument: String? = nil,
            pseudonymRotationDays: UInt32? = nil, collectorPublicKey: Data? = nil,
            endpoints: [Endpoint] = [], homeRegion: String? = nil,
            deviceInfo: DeviceInfoProvider? = nil, network: NetworkProvider? = nil,
            secretStore: SecretStore? = nil, reportsCrashes: Bool = true,
            uploadsOnlyWhenUnmetered: Bool = true, sealsOnBackground: Bool = true,
            scheduleUpload: (@Sendable () -> Void)? = nil, appVersion: String? = nil,
            tracksSessions: Bool = true, bufferCapacity: Int = 10_000,
            onError: (@Sendable (ModicumError) -> Void)? = nil
        ) {
            self.storageDirectory = storageDirectory
            self.appID = appID
            self.policyDocument = policyDocument
            self.pseudonymRotationDays = pseudonymRotationDays
            self.collectorPublicKey = collectorPublicKey
            self.endpoints = endpoints
            self.homeRegion = homeRegion
            self.deviceInfo = deviceInfo
            self.network = network
            self.secretStore = secretStore
            self.reportsCrashes = reportsCrashes
            self.uploadsOnlyWhenUnmetered = uploadsOnlyWhenUnmetered
            self.sealsOnBackground = sealsOnBackground
            self.scheduleUpload = scheduleUpload
            self.appVersion = appVersion
            self.tracksSessions = tracksSessions
            self.bufferCapacity = bufferCapacity
            self.onError = onError
        }

        var coreConfig: ModicumConfig {
            ModicumConfig(
                storageDir: storageDirectory.path, appId: appID, policyDocument: policyDocument,
                pseudonymRotationDays: pseudonymRotationDays, collectorPublicKey: collectorPublicKey,
                endpoints: endpoints, homeRegion: homeRegion, crashHandlers: reportsCrashes,
                uploadOnlyUnmetered: uploadsOnlyWhenUnmetered,
                appVersion: appVersion
                    ?? Self.versionForCore(
                        Bundle.main.object(forInfoDictionaryKey: "CFBundleShortVersionString")
                            as? String)
            )
        }

        /// A bundle version reduced to what the core accepts as one (ASCII letters, digits,
        /// spaces and `._-+()`, at most 64); nil if nothing is left.
        static func versionForCore(_ name: String?) -> String? {
            guard let name else { return nil }
            let allowed = name.unicodeScalars.filter {
                ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "._-+ ()".unicodeScalars.contains($0)
            }
            let kept = String(String.UnicodeScalarView(allowed)).trimmingCharacters(in: .whitespaces)
            return kept.isEmpty ? nil : String(kept.prefix(64))
        }

        var providers: PlatformProviders {
            PlatformProviders(device: deviceInfo, network: network, secrets: secretStore)
        }
    }
}
