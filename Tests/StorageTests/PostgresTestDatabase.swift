import Foundation
import Logging
import PostgresNIO
import Storage

/// A fresh database on the throwaway PostgreSQL server `Tests/Postgres/run.sh` starts (its
/// address in `CAUSEWAY_TEST_POSTGRES_URL`, a database any test may create databases from),
/// and stores opened on it. Each test gets a database of its own.
struct PostgresTestDatabase {
    static var serverURL: String? { ProcessInfo.processInfo.environment["CAUSEWAY_TEST_POSTGRES_URL"] }

    let url: String

    /// Creates an empty database on the test server.
    static func create() async throws -> PostgresTestDatabase {
        guard let server = serverURL, var components = URLComponents(string: server), let host = components.host, let user = components.user else {
            throw StorageError("CAUSEWAY_TEST_POSTGRES_URL is not set to postgres://USER@HOST:PORT/DATABASE")
        }
        let name = "causeway_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let client = PostgresClient(
            configuration: .init(host: host, port: components.port ?? 5432, username: user, password: components.password,
                                 database: String(components.path.dropFirst()), tls: .disable),
            backgroundLogger: Logger(label: "postgres-test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            group.cancelAll()
        }
        components.path = "/" + name
        return PostgresTestDatabase(url: components.string ?? server)
    }

    /// A migrated store on this database, its pool running until `running` is cancelled.
    func open() async throws -> (store: PostgresStore, running: Task<Void, Never>) {
        let store = try PostgresStore(url: url, logger: Logger(label: "postgres-store"))
        let running = Task { await store.run() }
        try await store.migrate()
        return (store, running)
    }
}
