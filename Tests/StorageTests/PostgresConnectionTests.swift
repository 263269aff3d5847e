import Foundation
import Logging
import PostgresNIO
@testable import Storage
import Testing

/// The PostgreSQL address as libpq reads it (DESIGN.md §11), against the throwaway server of
/// `Tests/Postgres/run.sh`, which offers TLS with a certificate it made.
@Suite("Connecting to PostgreSQL", .enabled(if: PostgresTestDatabase.serverURL != nil, "needs Tests/Postgres/run.sh"))
struct PostgresConnectionTests {
    static func encrypted(_ url: String) async throws -> Bool {
        let store = try PostgresStore(url: url, logger: Logger(label: "postgres-test"))
        let running = Task { await store.run() }
        defer { running.cancel() }
        return try await store.connectionIsEncrypted()
    }

    @Test("sslmode: disable is plain; prefer (the default), require and verify-full with the server's certificate are TLS")
    func sslModes() async throws {
        let server = try #require(PostgresTestDatabase.serverURL)
        let certificate = try #require(ProcessInfo.processInfo.environment["CAUSEWAY_TEST_POSTGRES_CA"])
        #expect(try await Self.encrypted(server + "?sslmode=disable") == false)
        #expect(try await Self.encrypted(server) == true)
        #expect(try await Self.encrypted(server + "?sslmode=require") == true)
        #expect(try await Self.encrypted(server + "?sslmode=verify-full&sslrootcert=" + certificate) == true)
    }

    @Test("an address that is not one names what is wrong", arguments: [
        ("mysql://causeway@127.0.0.1/db", "looks like postgres://USER@HOST:PORT/DATABASE"),
        ("postgres://127.0.0.1:5432/db", "looks like postgres://USER@HOST:PORT/DATABASE"),
        ("postgres://causeway@127.0.0.1/db?sslmode=sometimes", "sslmode=sometimes"),
    ])
    func badAddresses(url: String, message: String) {
        let error = #expect(throws: StorageError.self) { try PostgresStore(url: url, logger: Logger(label: "postgres-test")) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }

    /// The synchronous session the shared ledgers will use: its queries block a thread of its
    /// own, inside the caller's transaction (what it wrote is gone when the caller rolls back).
    @Test("synchronous queries run inside the caller's transaction, from a thread of their own")
    func synchronousSession() async throws {
        let database = try await PostgresTestDatabase.create()
        let (store, running) = try await database.open()
        defer { running.cancel() }
        struct RolledBack: Error {}
        let logger = Logger(label: "postgres-test")
        let failure = await #expect(throws: PostgresTransactionError.self) {
            try await store.client.withTransaction(logger: logger) { connection in
                let counted = try await PostgresSyncSession.run(on: connection, logger: logger) { session in
                    for trace in 0..<50 {
                        try session.execute("INSERT INTO workflow_trace (trace_id, workflow_id) VALUES (\(ByteBuffer(bytes: [UInt8(trace)])), 1)")
                    }
                    return try session.rows("SELECT count(*) FROM workflow_trace").first?.decode(Int64.self) ?? -1
                }
                #expect(counted == 50)
                throw RolledBack()
            }
        }
        #expect(failure?.closureError is RolledBack)
        #expect(failure?.rollbackError == nil)
        let after = try await store.client.withConnection { connection in
            try await PostgresSyncSession.run(on: connection, logger: logger) { session in
                try session.rows("SELECT count(*) FROM workflow_trace").first?.decode(Int64.self) ?? -1
            }
        }
        #expect(after == 0)
    }
}
