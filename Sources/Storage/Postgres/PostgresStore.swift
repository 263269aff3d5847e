import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The PostgreSQL store (DESIGN.md §11): several Causeway instances on one database. It records
/// spans, their links and workflow membership (`SpanRecorder`: ack after commit, re-delivery
/// stores nothing twice), detects and files exceptions in the same transaction, and serves the
/// queue, the timers and the outbox. One transaction lock (the stitching lock) orders every
/// round's stitching and detection, every reviewer's action and every timer pass across
/// instances, so each sees the others' changes whole and acts on a settle window or an SLA once.
public final class PostgresStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// What it detects with (the writer reads spans into facts with its plan).
    let detection: DetectionSetup
    var plan: FactPlan { detection.plan }
    /// Bumped after a commit that changed the queue, here or (told by `NOTIFY`) on another instance.
    public let queueChanges = QueueChanges()
    /// Set inside a transaction that changed the queue; `publishQueueChange` turns it into a bump.
    let queueChanged = Atomic<Bool>(false)
    /// How long a transaction waits for a connection from the pool (`transaction`).
    let leaseTimeout: Duration
    /// `host:port`, for messages.
    let address: String

    /// A store on the database `url` names: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
    /// detecting and filing as `detection` says. A statement, a wait for a lock, or a transaction
    /// left idle that takes longer than `stallTimeout` is ended by the server (the round fails and
    /// its requests are refused, to be retried): one stuck instance must not hold every other
    /// instance's rounds behind the stitching lock. Nothing connects until `run` is running.
    /// A transaction that cannot get a connection within `leaseTimeout` (the server is down or
    /// unreachable, or every connection is busy) fails instead of waiting (`transaction`).
    public init(url: String, logger: Logger, detection: DetectionSetup = DetectionSetup(), stallTimeout: Duration = .seconds(60),
                leaseTimeout: Duration = .seconds(10)) throws {
        var configuration = try Self.configuration(url: url)
        self.leaseTimeout = leaseTimeout
        address = "\(configuration.host ?? "?"):\(configuration.port ?? 5432)"
        let milliseconds = String(stallTimeout.components.seconds * 1000 + stallTimeout.components.attoseconds / 1_000_000_000_000_000)
        configuration.options.additionalStartupParameters += [
            ("statement_timeout", milliseconds), ("lock_timeout", milliseconds), ("idle_in_transaction_session_timeout", milliseconds),
        ]
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.detection = detection
    }

    /// After a transaction ends: wakes this instance's waiters if it changed the queue.
    func publishQueueChange() {
        if queueChanged.exchange(false, ordering: .acquiringAndReleasing) { queueChanges.bump() }
    }

    /// The client configuration `url` names, with `sslmode` (and `sslrootcert`) as libpq reads
    /// them: `disable`; `allow` and `prefer` (the default) use TLS when the server offers it;
    /// `require` insists on TLS without checking the certificate (unless `sslrootcert` is given:
    /// then as `verify-ca`); `verify-ca` checks it against the trusted roots (`sslrootcert`, a
    /// file, or `system`, the default); `verify-full` checks the host name too.
    static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else { throw StorageError("a PostgreSQL address looks like postgres://USER@HOST:PORT/DATABASE, not \(url)") }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let query = Dictionary(components.queryItems?.map { ($0.name, $0.value ?? "") } ?? [], uniquingKeysWith: { _, last in last })
        var verified = TLSConfiguration.makeClientConfiguration()
        let roots = query["sslrootcert"] ?? ""
        if !roots.isEmpty, roots != "system" { verified.trustRoots = .file(roots) }
        var unverified = verified
        unverified.certificateVerification = .none
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "allow", "prefer": tls = .prefer(unverified)
        case "require" where roots.isEmpty: tls = .require(unverified)
        case "require", "verify-ca":   // libpq: require with a root certificate checks it, as verify-ca
            verified.certificateVerification = .noHostnameVerification
            tls = .require(verified)
        case "verify-full": tls = .require(verified)
        case let mode: throw StorageError("sslmode=\(mode) in \(url) is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        return PostgresClient.Configuration(host: host, port: components.port ?? 5432, username: user, password: components.password,
                                            database: database.isEmpty ? nil : database, tls: tls)
    }

    /// Creates the empty database `name` (lower-case letters, digits and `_`, not starting with a
    /// digit: a name PostgreSQL keeps as written) on the server `url` names, connecting to the
    /// database in `url`; returns the address of the new one.
    public static func createDatabase(_ name: String, server url: String, logger: Logger) async throws -> String {
        guard let first = name.first, !first.isNumber,
              name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }),
              var components = URLComponents(string: url) else { throw StorageError("cannot create a database called \(name) on \(url)") }
        try await withClient(url: url, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        components.path = "/" + name
        guard let created = components.string else { throw StorageError("cannot name the database \(name) on \(url)") }
        return created
    }

    /// Keeps the connection pool up, and listens for other instances' changes to the queue,
    /// until the calling task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listenForQueueChanges() }
            await client.run()   // the pool ends the run; the listener never does
            group.cancelAll()
        }
    }

    /// Bumps `queueChanges` whenever any instance commits a change to the queue (`NOTIFY`),
    /// listening again after a lost connection.
    private func listenForQueueChanges() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: PostgresQueueChange.channel) { notifications in
                        self.queueChanges.bump()   // listening now: what changed before may not have been heard
                        for try await _ in notifications { self.queueChanges.bump() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                // The pool closes its connections as its run ends: no warning for that.
                if (error as? PSQLError)?.code != .clientClosedConnection {
                    logger.warning("not listening for other instances' queue changes; trying again", metadata: ["error": "\(PostgresFailure.mapped(error))"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Whether this store's connections are encrypted (the server's own account).
    func connectionIsEncrypted() async throws -> Bool {
        do {
            for try await encrypted in try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger)
                .decode(Bool.self) {
                return encrypted
            }
            return false
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }

    /// Creates or brings up to date the schema of the database `url` names, on a connection pool
    /// of its own (for `serve`, before its store's pool runs).
    /// A server that cannot be reached does not stall the start: after `reachWithin` with no
    /// connection it is an error naming the address (a migration that takes longer runs on).
    public static func migrate(url: String, logger: Logger, reachWithin: Duration = .seconds(30)) async throws {
        let address = try configuration(url: url)
        try await reaching(within: reachWithin, unreachable: {
            StorageError("no answer from the PostgreSQL server at \(address.host ?? "?"):\(address.port.map(String.init) ?? "5432") within \(reachWithin)"
                         + " (is it running, and does the URL name it?)")
        }) { reached in
            try await withClient(url: url, logger: logger) { client in
                try await client.withConnection { _ in reached() }
                try await PostgresSchema.migrate(client, logger: logger)
            }
        }
    }

    /// Runs `body` with a connection pool of its own on the server `url` names, running while it
    /// does; errors come out mapped. The pool's own lines go out at error level only: its first
    /// lease always comes before its task has started, which PostgresNIO warns of.
    static func withClient<T: Sendable>(url: String, logger: Logger, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: try configuration(url: url), backgroundLogger: quiet)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                return try await body(client)
            } catch {
                throw PostgresFailure.mapped(error)
            }
        }
    }

    /// Creates or brings up to date the schema (`PostgresSchema`); safe to run from several
    /// instances at once.
    public func migrate() async throws {
        do {
            try await PostgresSchema.migrate(client, logger: logger)
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }
}
