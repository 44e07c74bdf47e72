import Foundation

#if canImport(UIKit) && os(iOS)
    import UIKit
#endif

/// Follows the app to the background: hands what was recorded to the core, seals it and asks
/// for an upload, on a background queue, inside a background task so iOS lets it finish. Kept
/// apart from UIKit (the notification's name and the background task come in) so the same
/// code runs, and is tested, where UIKit does not exist.
final class BackgroundSeal: Sendable {
    private let observer: Locked<NSObjectProtocol?>
    private let center: NotificationCenter

    init(
        modicum: Modicum, center: NotificationCenter = .default, name: Notification.Name,
        tasks: BackgroundTasks, requestUpload: @escaping @Sendable () -> Void
    ) {
        self.center = center
        self.observer = Locked(nil)
        let token = center.addObserver(forName: name, object: nil, queue: nil) { [weak modicum] _ in
            guard let modicum else { return }
            let task = tasks.begin(name: "Modicum seal")
            DispatchQueue.global(qos: .utility).async {
                defer { tasks.end(task) }
                do {
                    try modicum.sealNow()
                    requestUpload()
                } catch let error as ModicumError {
                    modicum.onError?(error)
                } catch {
                    modicum.onError?(.Platform(reason: "\(error)"))
                }
            }
        }
        observer.withLock { $0 = token }
    }

    /// Stops following the app.
    func stop() {
        if let token = observer.withLock({ $0 }) { center.removeObserver(token) }
    }

    deinit { stop() }
}

/// Time the platform grants to finish work after the app leaves the foreground.
protocol BackgroundTasks: Sendable {
    /// Begins a task; the returned token ends it.
    func begin(name: String) -> Int
    func end(_ token: Int)
}

#if canImport(UIKit) && os(iOS)
    /// `UIApplication`'s background tasks: the work that seals may run for up to 30 s after
    /// the app went to the background; should the time run out, the task ends and the round
    /// is finished at the next start.
    struct ApplicationBackgroundTasks: BackgroundTasks {
        func begin(name: String) -> Int {
            let identifier = Locked(UIBackgroundTaskIdentifier.invalid)
            let task = MainActor.assumeIsolated {
                UIApplication.shared.beginBackgroundTask(withName: name) {
                    let expired = identifier.withLock { $0 }
                    UIApplication.shared.endBackgroundTask(expired)
                }
            }
            identifier.withLock { $0 = task }
            return task.rawValue
        }

        func end(_ token: Int) {
            DispatchQueue.main.async {
                UIApplication.shared.endBackgroundTask(UIBackgroundTaskIdentifier(rawValue: token))
            }
        }
    }
#endif
