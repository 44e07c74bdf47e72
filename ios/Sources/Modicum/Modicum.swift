import Foundation

/// The Swift face of Modicum. Errors in what the app passes are thrown as ``ModicumError``
/// cases (for example ``ModicumError/EmptyEventName``); nothing else is thrown.
public final class Modicum: Sendable {
    /// What ``Modicum/start(_:)`` needs: a directory private to the app and the app's id.
    public struct Configuration: Sendable {
        public var storageDirectory: URL
        public var appID: String

        public init(storageDirectory: URL, appID: String) {
            self.storageDirectory = storageDirectory
            self.appID = appID
        }
    }

    private let core: ModicumCore

    private init(core: ModicumCore) {
        self.core = core
    }

    /// Starts Modicum; throws ``ModicumError/StorageUnusable`` or ``ModicumError/InvalidConfig``.
    public static func start(_ configuration: Configuration) throws -> Modicum {
        let config = ModicumConfig(storageDir: configuration.storageDirectory.path, appId: configuration.appID)
        return Modicum(core: try ModicumCore.start(config: config))
    }

    /// Records the user's decision for `category`; withdrawing discards what is held for it.
    public func setConsent(_ category: ConsentCategory, granted: Bool) {
        // Every ConsentCategory is known to the core, so this cannot throw.
        try? core.setConsent(category: category.rawValue, granted: granted)
    }

    /// As ``setConsent(_:granted:)``, for a category named by a string (from a remote config, say).
    public func setConsent(named category: String, granted: Bool) throws {
        try core.setConsent(category: category, granted: granted)
    }

    /// The categories the user has granted.
    public var grantedCategories: Set<String> {
        Set(core.grantedCategories())
    }

    /// Records a custom event. Returns true if its minimized form is held, false if the user's
    /// consent does not allow it.
    @discardableResult
    public func record(_ name: String, properties: [String: PropertyValue] = [:]) throws -> Bool {
        try core.record(name: name, properties: properties)
    }

    /// The minimized events held on the device, as a JSON array: what would leave it.
    public func heldEventsJSON() -> String {
        core.heldEventsJson()
    }
}
