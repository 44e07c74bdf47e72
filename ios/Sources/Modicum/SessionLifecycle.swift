import Foundation

/// Release health sessions from the app's foreground: a session starts when the app becomes
/// active (the core ignores a second start while one is open, as after a system alert) and
/// ends when it enters the background. Kept apart from UIKit (the notification names come in)
/// so the same code runs, and is tested, where UIKit does not exist. Both calls only change
/// counts in memory: nothing here waits on the main thread.
final class SessionLifecycle: Sendable {
    private let observers: Locked<[NSObjectProtocol]>
    private let center: NotificationCenter

    init(
        modicum: Modicum, center: NotificationCenter = .default, foreground: Notification.Name,
        background: Notification.Name
    ) {
        self.center = center
        let entered = center.addObserver(forName: foreground, object: nil, queue: nil) {
            [weak modicum] _ in modicum?.enteredForeground()
        }
        let left = center.addObserver(forName: background, object: nil, queue: nil) {
            [weak modicum] _ in modicum?.enteredBackground()
        }
        self.observers = Locked([entered, left])
    }

    /// Stops following the app.
    func stop() {
        for token in observers.withLock({ tokens in
            defer { tokens = [] }
            return tokens
        }) {
            center.removeObserver(token)
        }
    }

    deinit { stop() }
}
