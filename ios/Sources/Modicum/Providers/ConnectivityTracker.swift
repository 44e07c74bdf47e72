/// A network provider that also records each change of connectivity into Modicum, which calls
/// ``reportChanges(to:)`` once it has started.
public protocol ConnectivityReporting: NetworkProvider {
    func reportChanges(to sink: @escaping @Sendable (NetworkState) -> Void)
}

/// The latest network state, kept for the core's upload decisions, with every change handed
/// to the sink Modicum attaches. The platform's monitor calls ``update(_:)`` (from one queue,
/// so changes arrive in order); ``PathNetworkProvider`` does on Apple platforms.
public final class ConnectivityTracker: ConnectivityReporting {
    private struct State {
        var current: NetworkState
        var sink: (@Sendable (NetworkState) -> Void)?
    }

    private let state: Locked<State>

    /// Until the first update the network reads as `initial`: disconnected unless told, so
    /// uploads wait rather than guess.
    public init(
        initial: NetworkState = NetworkState(connected: false, kind: "none", metered: false, carrier: nil, ip: nil)
    ) {
        state = Locked(State(current: initial))
    }

    public func network() -> NetworkState {
        state.withLock { $0.current }
    }

    /// Stores `new` and, if it differs from what was known, records it. Repeated identical
    /// readings (monitors report on every interface flap) record nothing.
    public func update(_ new: NetworkState) {
        let sink = state.withLock { s -> (@Sendable (NetworkState) -> Void)? in
            guard s.current != new else { return nil }
            s.current = new
            return s.sink
        }
        sink?(new)
    }

    public func reportChanges(to sink: @escaping @Sendable (NetworkState) -> Void) {
        state.withLock { $0.sink = sink }
    }
}
