#if canImport(Security)
    import Foundation
    import Security

    /// Keeps Modicum's secrets (the journal's data key, the install secret) in the Keychain as
    /// generic passwords, one service per app. Readable after the first unlock so background
    /// uploads work, and never migrated to another device by a backup (`ThisDeviceOnly`): a
    /// restored backup holds only ciphertext it cannot open, which is the point.
    public final class KeychainSecretStore: SecretStore {
        private let service: String

        /// `service` names this app's items; the bundle id with a Modicum suffix by default.
        public init(service: String = (Bundle.main.bundleIdentifier ?? "app") + ".modicum") {
            self.service = service
        }

        public func load(name: String) throws -> Data? {
            var query = baseQuery(name)
            query[kSecReturnData as String] = true
            query[kSecMatchLimit as String] = kSecMatchLimitOne
            var result: CFTypeRef?
            let status = SecItemCopyMatching(query as CFDictionary, &result)
            switch status {
            case errSecSuccess: return result as? Data
            case errSecItemNotFound: return nil
            default: throw Self.failure("load", name, status)
            }
        }

        /// Replaces any secret already saved under `name`.
        public func save(name: String, secret: Data) throws {
            let update: [String: Any] = [
                kSecValueData as String: secret,
                kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            ]
            var status = SecItemUpdate(baseQuery(name) as CFDictionary, update as CFDictionary)
            if status == errSecItemNotFound {
                var add = baseQuery(name)
                add.merge(update) { _, new in new }
                status = SecItemAdd(add as CFDictionary, nil)
            }
            guard status == errSecSuccess else { throw Self.failure("save", name, status) }
        }

        public func delete(name: String) throws {
            let status = SecItemDelete(baseQuery(name) as CFDictionary)
            guard status == errSecSuccess || status == errSecItemNotFound else {
                throw Self.failure("delete", name, status)
            }
        }

        private func baseQuery(_ name: String) -> [String: Any] {
            [
                kSecClass as String: kSecClassGenericPassword,
                kSecAttrService as String: service,
                kSecAttrAccount as String: name,
                // The data-protection keychain on macOS too, so the same rules apply everywhere.
                kSecUseDataProtectionKeychain as String: true,
            ]
        }

        private static func failure(_ operation: String, _ name: String, _ status: OSStatus) -> ModicumError {
            let message = SecCopyErrorMessageString(status, nil) as String? ?? "OSStatus \(status)"
            return .Platform(reason: "Keychain \(operation) of \(name): \(message)")
        }
    }
#endif
