import PostgresNIO
import Synchronization

extension PostgresStore {
    /// Runs `body` in a transaction on a connection from the pool, failing with `StorageUnavailable`
    /// if no connection (and its `BEGIN`) comes within `leaseTimeout`. PostgresNIO waits for one
    /// until its circuit breaker trips (about a minute, measured with an unreachable server): with
    /// the server down, a writer round (and every export behind it), a reviewer's action or a page
    /// waited that long, past most clients' timeouts. Now the round fails, its exports get 503
    /// with `Retry-After` and are sent again, and nothing acknowledged is lost.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.reaching(within: leaseTimeout, unreachable: { [address, leaseTimeout] in
            StorageUnavailable("""
                no connection to PostgreSQL at \(address) within \(leaseTimeout) (the server is down or unreachable, \
                or every connection is busy)
                """)
        }) { reached in
            try await self.client.withTransaction(logger: self.logger) { connection in
                reached()
                return try await body(connection)
            }
        }
    }

    /// Runs `body`, which calls `reached` once it has a connection, failing with `unreachable()`
    /// if that has not happened within `timeout`. Once reached, the body decides the outcome
    /// however long it takes (a migration building an index, say), and so it does when the caller
    /// is cancelled: it may have committed.
    static func reaching<T: Sendable>(within timeout: Duration, unreachable: @escaping @Sendable () -> any Error,
                                      _ body: @escaping @Sendable (_ reached: @escaping @Sendable () -> Void) async throws -> T) async throws -> T {
        let flag = ReachedFlag()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body(flag.set) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                guard flag.isSet || Task.isCancelled else { throw unreachable() }
                return nil   // reached in time: the body runs on
            }
            while let result = try await group.next() {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            throw CancellationError()
        }
    }
}

/// Set once a body has its connection.
private final class ReachedFlag: Sendable {
    private let value = Atomic<Bool>(false)

    @Sendable func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
