#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// A value behind a lock. `Synchronization.Mutex` needs iOS 18, so this wraps
/// `os_unfair_lock` on Apple platforms and a pthread mutex elsewhere: both cost tens of
/// nanoseconds uncontended, which `record` on the app's thread can afford.
final class Locked<State>: @unchecked Sendable {
    // @unchecked: `state` is only read or written with `lock` held.
    private var state: State
    #if canImport(Darwin)
        // The lock must not move in memory, so it lives in its own allocation.
        private let lock: os_unfair_lock_t
    #else
        private let lock: UnsafeMutablePointer<pthread_mutex_t>
    #endif

    init(_ state: State) {
        self.state = state
        #if canImport(Darwin)
            lock = .allocate(capacity: 1)
            lock.initialize(to: os_unfair_lock())
        #else
            lock = .allocate(capacity: 1)
            lock.initialize(to: pthread_mutex_t())
            pthread_mutex_init(lock, nil)
        #endif
    }

    deinit {
        #if !canImport(Darwin)
            pthread_mutex_destroy(lock)
        #endif
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        acquire()
        defer { release() }
        return try body(&state)
    }

    /// As ``withLock(_:)`` but gives up instead of waiting: for a crash handler, which must not
    /// wait on a lock its own thread may already hold.
    func withLockIfAvailable<R>(_ body: (inout State) throws -> R) rethrows -> R? {
        #if canImport(Darwin)
            guard os_unfair_lock_trylock(lock) else { return nil }
        #else
            guard pthread_mutex_trylock(lock) == 0 else { return nil }
        #endif
        defer { release() }
        return try body(&state)
    }

    private func acquire() {
        #if canImport(Darwin)
            os_unfair_lock_lock(lock)
        #else
            pthread_mutex_lock(lock)
        #endif
    }

    private func release() {
        #if canImport(Darwin)
            os_unfair_lock_unlock(lock)
        #else
            pthread_mutex_unlock(lock)
        #endif
    }
}
