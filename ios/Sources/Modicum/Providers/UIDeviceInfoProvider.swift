#if canImport(UIKit) && os(iOS)
    import Foundation
    import UIKit

    /// The device as UIKit reports it: ``ProcessInfoDeviceInfoProvider``'s readings plus model,
    /// OS name and version, screen and battery, and storage from the volume's capacity keys when
    /// the app passes a `storageDirectory`.
    ///
    /// Storage is off by default: disk space is a required-reason API, and Apple's reasons let
    /// its value leave the device only in a bug report the user chooses to send and is shown.
    /// Pass a directory only if the app's diagnostics consent flow meets that (the package's
    /// PrivacyInfo.xcprivacy declares reason 7D9E.1).
    ///
    /// UIKit may only be read on the main thread, and the core asks from its worker (which a
    /// main-thread `flush` may be waiting on), so UIKit is read on the main actor into a snapshot:
    /// once at init and again whenever the battery changes. `deviceInfo()` never waits for main.
    public final class UIDeviceInfoProvider: DeviceInfoProvider {
        private struct Snapshot: Sendable {
            var model: String
            var systemName: String
            var systemVersion: String
            var screenWidth: UInt32
            var screenHeight: UInt32
            /// Points per inch in Android's convention (160 per unit of scale), so both platforms
            /// land in the same buckets; iOS has no public API for physical pixels per inch.
            var screenDensity: Double
            var batteryLevel: UInt8?
            var charging: Bool?
        }

        private let base: ProcessInfoDeviceInfoProvider
        private let storageDirectory: URL?
        private let snapshot: Locked<Snapshot>
        private let observers = Locked([NSObjectProtocol]())

        @MainActor
        public init(
            storageDirectory: URL? = nil,
            appVersion: String? = Bundle.main.object(forInfoDictionaryKey: "CFBundleShortVersionString") as? String
        ) {
            base = ProcessInfoDeviceInfoProvider(storageDirectory: storageDirectory, appVersion: appVersion)
            self.storageDirectory = storageDirectory
            UIDevice.current.isBatteryMonitoringEnabled = true
            snapshot = Locked(Self.read())
            let names = [UIDevice.batteryLevelDidChangeNotification, UIDevice.batteryStateDidChangeNotification]
            let tokens = names.map { name in
                // Delivered on the main queue, so the main actor's isolation already holds.
                NotificationCenter.default.addObserver(forName: name, object: nil, queue: .main) { [weak self] _ in
                    MainActor.assumeIsolated { self?.refresh() }
                }
            }
            observers.withLock { $0 = tokens }
        }

        deinit {
            for token in observers.withLock({ $0 }) {
                NotificationCenter.default.removeObserver(token)
            }
        }

        public func deviceInfo() throws -> DeviceInfo {
            var info = try base.deviceInfo()
            let s = snapshot.withLock { $0 }
            info.brand = "Apple"
            info.manufacturer = "Apple"
            // An iPad or iPhone app running on a Mac reports the Mac, not the device it imitates.
            info.model = ProcessInfo.processInfo.isiOSAppOnMac ? "Mac" : s.model
            info.osName = ProcessInfo.processInfo.isiOSAppOnMac ? "macOS" : s.systemName
            info.osVersion = s.systemVersion
            info.screenWidth = s.screenWidth
            info.screenHeight = s.screenHeight
            info.screenDensity = s.screenDensity
            info.batteryLevel = s.batteryLevel
            info.charging = s.charging
            if let capacity = volumeCapacity() {
                info.storageTotalBytes = capacity.total
                info.storageFreeBytes = capacity.free
            }
            return info
        }

        @MainActor
        private func refresh() {
            let fresh = Self.read()
            snapshot.withLock { $0 = fresh }
        }

        @MainActor
        private static func read() -> Snapshot {
            let device = UIDevice.current
            let screen = UIScreen.main
            let level = device.batteryLevel  // -1 when monitoring cannot tell
            let charging: Bool?
            switch device.batteryState {
            case .charging, .full: charging = true
            case .unplugged: charging = false
            case .unknown: charging = nil
            @unknown default: charging = nil
            }
            return Snapshot(
                model: device.model,
                systemName: device.systemName,
                systemVersion: device.systemVersion,
                screenWidth: UInt32(max(0, (screen.bounds.width * screen.scale).rounded())),
                screenHeight: UInt32(max(0, (screen.bounds.height * screen.scale).rounded())),
                screenDensity: Double(screen.scale) * 160,
                batteryLevel: level < 0 ? nil : UInt8(clamping: Int((level * 100).rounded())),
                charging: charging
            )
        }

        /// "Important usage" free space counts what iOS would purge (caches) for the user's own
        /// data: the figure that says whether the device is really short of space.
        private func volumeCapacity() -> (total: UInt64, free: UInt64)? {
            let keys: Set<URLResourceKey> = [.volumeTotalCapacityKey, .volumeAvailableCapacityForImportantUsageKey]
            guard let values = try? storageDirectory?.resourceValues(forKeys: keys),
                let total = values.volumeTotalCapacity,
                let free = values.volumeAvailableCapacityForImportantUsage
            else { return nil }
            return (UInt64(max(0, total)), UInt64(max(0, free)))
        }
    }
#endif
