#if canImport(Network)
    import Dispatch
    import Network

    /// The network as `NWPathMonitor` sees it: connected, kind (wifi, cellular, ethernet), and
    /// metered when the path is expensive (cellular, a personal hotspot) or constrained (Low Data
    /// Mode). Each change is recorded into Modicum as a connectivity event.
    public final class PathNetworkProvider: ConnectivityReporting, @unchecked Sendable {
        // @unchecked: `monitor` is configured in init and only cancelled in deinit; NWPathMonitor
        // delivers updates on `queue`, and the tracker is Sendable.
        private let monitor = NWPathMonitor()
        private let tracker = ConnectivityTracker()

        public init(queue: DispatchQueue = DispatchQueue(label: "dev.modicum.network", qos: .utility)) {
            monitor.pathUpdateHandler = { [tracker] path in
                tracker.update(PathNetworkProvider.state(of: path))
            }
            monitor.start(queue: queue)
        }

        deinit {
            monitor.cancel()
        }

        public func network() -> NetworkState {
            tracker.network()
        }

        public func reportChanges(to sink: @escaping @Sendable (NetworkState) -> Void) {
            tracker.reportChanges(to: sink)
        }

        static func state(of path: NWPath) -> NetworkState {
            let connected = path.status == .satisfied
            let kind: String
            if !connected {
                kind = "none"
            } else if path.usesInterfaceType(.wifi) {
                kind = "wifi"
            } else if path.usesInterfaceType(.cellular) {
                kind = "cellular"
            } else if path.usesInterfaceType(.wiredEthernet) {
                kind = "ethernet"
            } else {
                kind = "other"
            }
            return NetworkState(
                connected: connected, kind: kind, metered: path.isExpensive || path.isConstrained,
                carrier: nil, ip: nil
            )
        }
    }
#endif
