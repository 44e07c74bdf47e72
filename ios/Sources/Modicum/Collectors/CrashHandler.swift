import Foundation

/// Records an uncaught Objective-C exception durably, then hands it to the handler that was
/// installed before (another crash reporter, or the system's), so Modicum never takes a crash
/// away from anyone. Fatal signals and Rust panics are the core's (`reportsCrashes` turns
/// both on); Swift runtime traps arrive as signals.
///
/// The platform hook (`NSSetUncaughtExceptionHandler`, Apple platforms only: Foundation on
/// Linux has no Objective-C exceptions) is a thin shell around ``handle(kind:message:frames:thread:chain:)``,
/// which does the work and can be called directly.
public final class CrashHandler: Sendable {
    private let record: @Sendable (CrashReport) -> Void

    /// Records into `modicum`; holds it weakly, so an installed handler never keeps it alive.
    public convenience init(modicum: Modicum) {
        self.init { [weak modicum] report in modicum?.recordCrashDurably(report) }
    }

    init(record: @escaping @Sendable (CrashReport) -> Void) {
        self.record = record
    }

    /// Records the crash, returning once it is durable, and then calls `chain`: the previous
    /// handler runs after Modicum's record exists, whatever that handler does next.
    func handle(kind: String, message: String, frames: [String], thread: String?, chain: () -> Void) {
        record(CrashReport(kind: kind, message: message, frames: frames, thread: thread, atMs: Modicum.nowMillis()))
        chain()
    }

    #if canImport(ObjectiveC)
        /// The handler the hook calls and the one it chains to. Installed once per process: a
        /// second install replaces Modicum's handler but keeps the original chain, so Modicum
        /// never chains to itself.
        private struct Hook {
            var handler: CrashHandler?
            var previous: NSUncaughtExceptionHandler?
            var installed = false
        }

        private static let hook = Locked(Hook())

        /// Makes this handler the one uncaught exceptions go through.
        public func installForUncaughtExceptions() {
            Self.hook.withLock { hook in
                if !hook.installed {
                    hook.previous = NSGetUncaughtExceptionHandler()
                    NSSetUncaughtExceptionHandler { exception in CrashHandler.uncaught(exception) }
                    hook.installed = true
                }
                hook.handler = self
            }
        }

        private static func uncaught(_ exception: NSException) {
            let (handler, previous) = hook.withLock { ($0.handler, $0.previous) }
            let chain = { previous?(exception) }
            guard let handler else { return chain() }
            handler.handle(
                kind: exception.name.rawValue,
                message: exception.reason ?? "",
                frames: exception.callStackSymbols,
                thread: Thread.isMainThread ? "main" : Thread.current.name.flatMap { $0.isEmpty ? nil : $0 },
                chain: chain
            )
        }
    #endif
}
