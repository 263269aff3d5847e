import Synchronization

/// Collects the bound address of every listener and reports them together, once all are bound.
final class ListenerAnnouncer: Sendable {
    /// One bound listener: `otlp-grpc`, `otlp-http` or `api`.
    struct Listener: Sendable, Equatable {
        var name: String
        var address: ListenAddress
    }

    private let expected: [String]
    private let bound = Mutex<[String: ListenAddress]>([:])
    private let onAllBound: @Sendable ([Listener]) -> Void

    init(expected: [String], onAllBound: @escaping @Sendable ([Listener]) -> Void) {
        self.expected = expected
        self.onAllBound = onAllBound
    }

    func bound(_ name: String, host: String, port: Int) {
        let complete: [Listener]? = bound.withLock { bound in
            bound[name] = ListenAddress(host: host, port: port)
            guard bound.count == expected.count else { return nil }
            return expected.compactMap { name in bound[name].map { Listener(name: name, address: $0) } }
        }
        if let complete { onAllBound(complete) }
    }
}
