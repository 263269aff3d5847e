import PostgresNIO
import Synchronization

extension PostgresStore {
    /// Runs `body` in a transaction on a connection from the pool, failing with `StorageUnavailable`
    /// if no connection (and its `BEGIN`) comes within `leaseTimeout`. PostgresNIO waits for one until its circuit
    /// breaker trips (about a minute, measured with an unreachable server): with the server down,
    /// a writer round (and every export behind it), a reviewer's action or a page waited that
    /// long, past most clients' timeouts. Now the round fails, its exports get 503 with
    /// `Retry-After` and are sent again, and nothing acknowledged is lost.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = LeaseFlag()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withTransaction(logger: self.logger) { connection in
                    leased.set()
                    return try await body(connection)
                }
            }
            group.addTask {
                // Cancelled (the caller was), the body decides the outcome: it may have committed.
                try? await Task.sleep(for: self.leaseTimeout)
                guard leased.isSet || Task.isCancelled else {
                    throw StorageUnavailable("""
                        no connection to PostgreSQL at \(self.address) within \(self.leaseTimeout) (the server is down or \
                        unreachable, or every connection is busy)
                        """)
                }
                return nil   // leased in time: the transaction runs on
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

/// Set once a transaction has its connection.
private final class LeaseFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
