import Foundation

/// The device as Foundation can read it on any platform: OS version, CPU, memory, storage,
/// locale and time zone. What Linux hosts use, and the base of ``UIDeviceInfoProvider`` on
/// iOS, which adds what only UIKit knows (model, screen, battery).
public final class ProcessInfoDeviceInfoProvider: DeviceInfoProvider {
    private let storageDirectory: URL?
    private let appVersion: String?

    /// Storage is measured on the volume holding `storageDirectory` (or its nearest existing
    /// parent, since the core creates it only at start); not at all if it is nil, which iOS
    /// apps should prefer (see ``UIDeviceInfoProvider``).
    public init(
        storageDirectory: URL?,
        appVersion: String? = Bundle.main.object(forInfoDictionaryKey: "CFBundleShortVersionString") as? String
    ) {
        self.storageDirectory = storageDirectory
        self.appVersion = appVersion
    }

    public func deviceInfo() throws -> DeviceInfo {
        let process = ProcessInfo.processInfo
        let os = process.operatingSystemVersion
        let (total, free) = storage()
        return DeviceInfo(
            osName: Self.osName,
            osVersion: "\(os.majorVersion).\(os.minorVersion).\(os.patchVersion)",
            appVersion: appVersion,
            cpuArch: Self.cpuArch,
            cpuCores: UInt32(clamping: process.processorCount),
            ramBytes: process.physicalMemory,
            storageTotalBytes: total,
            storageFreeBytes: free,
            locale: Locale.current.identifier,
            timeZone: TimeZone.current.identifier,
            emulator: Self.isSimulator
        )
    }

    private func storage() -> (total: UInt64?, free: UInt64?) {
        guard var url = storageDirectory?.standardizedFileURL else { return (nil, nil) }
        while !FileManager.default.fileExists(atPath: url.path), url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
        }
        guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: url.path) else {
            return (nil, nil)
        }
        let bytes = { (key: FileAttributeKey) in (attributes[key] as? NSNumber)?.uint64Value }
        return (bytes(.systemSize), bytes(.systemFreeSize))
    }

    private static var osName: String {
        #if os(iOS)
            return "iOS"
        #elseif os(macOS)
            return "macOS"
        #elseif os(Linux)
            return "Linux"
        #else
            return "unknown"
        #endif
    }

    private static var cpuArch: String? {
        #if arch(arm64)
            return "arm64"
        #elseif arch(x86_64)
            return "x86_64"
        #else
            return nil
        #endif
    }

    private static var isSimulator: Bool? {
        #if targetEnvironment(simulator)
            return true
        #elseif os(iOS)
            return false
        #else
            return nil
        #endif
    }
}
