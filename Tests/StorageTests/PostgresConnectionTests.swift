import Foundation
import Logging
import PostgresNIO
@testable import Storage
import Testing
import TestSupport
import TraceModel

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

    /// `serve` migrates before anything else: a server nobody answers at must end that with an
    /// error naming the address, not wait for ever (a closed port on this machine).
    @Test("a server that does not answer ends the start with an error naming its address")
    func unreachableServer() async throws {
        let server = try #require(PostgresTestDatabase.serverURL)
        var unreachable = try #require(URLComponents(string: server))
        unreachable.port = try freeLoopbackPort()
        let url = try #require(unreachable.string)
        let started = ContinuousClock.now
        let error = await #expect(throws: StorageError.self) {
            try await PostgresStore.migrate(url: url, logger: Logger(label: "postgres-test"), reachWithin: .seconds(2))
        }
        #expect(error?.message.contains("no answer from the PostgreSQL server at 127.0.0.1:\(unreachable.port ?? 0)") == true,
                "\(error?.message ?? "no error")")
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    /// With the server gone (here: never there), a writer round and a read fail once no
    /// connection comes within the lease timeout — the round's exports are refused, to be sent
    /// again — instead of waiting for ever.
    @Test("with the server unreachable while running, a round and a read fail after the lease timeout", .timeLimit(.minutes(1)))
    func unreachableWhileRunning() async throws {
        let server = try #require(PostgresTestDatabase.serverURL)
        var unreachable = try #require(URLComponents(string: server))
        unreachable.port = try freeLoopbackPort()
        let store = try PostgresStore(url: try #require(unreachable.string), logger: Logger(label: "postgres-test"), leaseTimeout: .seconds(1))
        let running = Task { await store.run() }
        defer { running.cancel() }
        let writer = SpanWriter(store: store, logger: Logger(label: "postgres-test"))
        let writing = Task { try await writer.run() }
        let started = ContinuousClock.now
        let refused = await #expect(throws: StorageUnavailable.self) {
            try await writer.write(.stub(spans: [Span.stub(trace: .stub(0x71), span: .stub(1), start: 1)]))
        }
        #expect(refused?.message.contains("no connection to PostgreSQL at 127.0.0.1:\(unreachable.port ?? 0)") == true, "\(refused?.message ?? "no error")")
        await #expect(throws: StorageUnavailable.self) { try await store.workflow(containing: .stub(0x71)) }
        #expect(ContinuousClock.now - started < .seconds(20))
        writer.finish()
        try await writing.value
    }

    /// A loopback port nothing listens on (bound, read back, released).
    func freeLoopbackPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw StorageError("no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
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

    @Test("a round that waits too long for the stitching lock fails (its requests are refused), and the next round goes through")
    func stallTimeout() async throws {
        let database = try await PostgresTestDatabase.create()
        let (migrated, runningMigrated) = try await database.open()
        runningMigrated.cancel()
        _ = migrated
        let store = try PostgresStore(url: database.url, logger: Logger(label: "postgres-test"), stallTimeout: .milliseconds(500))
        let running = Task { await store.run() }
        defer { running.cancel() }
        // Another instance holds the stitching lock: it never lets go until its transaction ends.
        let holder = PostgresClient(configuration: try PostgresStore.configuration(url: database.url), backgroundLogger: Logger(label: "holder"))
        let holding = Task { await holder.run() }
        defer { holding.cancel() }
        let writer = SpanWriter(store: store, logger: Logger(label: "writer"))
        let writing = Task { try await writer.run() }
        let span = Span.stub(trace: .stub(0x58), span: .stub(1), start: 1_700_000_000_000_000_000)
        let (locked, release) = AsyncStream.makeStream(of: Void.self)
        let (released, letGo) = AsyncStream.makeStream(of: Void.self)
        let holderDone = Task {
            try await holder.withTransaction(logger: Logger(label: "holder")) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresStore.stitchLock))", logger: Logger(label: "holder"))
                release.yield()
                for await _ in released { break }
            }
        }
        for await _ in locked { break }
        let error = await #expect(throws: (any Error).self) { try await writer.write(.stub(service: "jobs", spans: [span])) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("timeout"), "\(String(describing: error))")
        letGo.yield()
        try await holderDone.value
        try await writer.write(.stub(service: "jobs", spans: [span]))
        #expect(try await store.spans(inTrace: .stub(0x58)).count == 1)
        writer.finish()
        try await writing.value
    }
}
