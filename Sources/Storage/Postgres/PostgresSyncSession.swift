import Dispatch
import Logging
import PostgresNIO
import Synchronization

/// Synchronous queries on one PostgreSQL connection, for the code every store shares
/// (`DetectionPass`, `ExceptionFiling`), which asks its ledgers synchronously inside the writer's
/// transaction. `run` moves that code onto a thread of its own (never one of Swift's cooperative
/// threads, which the queries themselves need), where each query blocks until PostgreSQL answers.
/// Measured: a query blocking that thread takes 149 µs where the same query awaited takes 126 µs —
/// the round trip is the cost, so ledgers batch what a round writes.
final class PostgresSyncSession: @unchecked Sendable {
    private let connection: PostgresConnection
    private let logger: Logger

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// The thread of the transactions that hold the stitching lock (they take turns anyway).
    private static let writing = DispatchQueue(label: "causeway.postgres.sync.write")
    /// Threads of read-only transactions, so that reads never wait behind a round holding the lock.
    private static let reading = (0..<4).map { DispatchQueue(label: "causeway.postgres.sync.read\($0)") }
    private static let nextReader = Atomic<Int>(0)

    /// Runs `body` on a session thread with synchronous access to `connection` (inside whatever
    /// transaction the caller has open on it) and returns its result; `readOnly` bodies run on
    /// threads of their own, beside the writer's.
    static func run<T: Sendable>(on connection: PostgresConnection, logger: Logger, readOnly: Bool = false,
                                 _ body: @escaping @Sendable (PostgresSyncSession) throws -> T) async throws -> T {
        let session = PostgresSyncSession(connection: connection, logger: logger)
        let queue = readOnly ? reading[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % reading.count] : writing
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(session) })
            }
        }
    }

    /// The rows `query` returns, waiting for them.
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let (connection, logger) = (self.connection, self.logger)
        Task {
            do {
                outcome.result = .success(try await connection.query(query, logger: logger).collect())
            } catch {
                outcome.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        guard let result = outcome.result else { throw StorageError("a PostgreSQL query ended without an answer") }
        return try result.get()
    }

    /// Runs `query` for its effect, waiting for it.
    func execute(_ query: PostgresQuery) throws {
        _ = try rows(query)
    }

    /// A query's answer handed from the task that ran it to the blocked session thread; the
    /// semaphore orders the write before the read.
    private final class Outcome: @unchecked Sendable {
        var result: Result<[PostgresRow], any Error>?
    }
}
