import Detection
import Foundation
import Logging
import Storage

/// A fresh database on the throwaway PostgreSQL server `Tests/Postgres/run.sh` starts (its
/// address in `CAUSEWAY_TEST_POSTGRES_URL`, a database any test may create databases from),
/// and stores opened on it. Each test gets a database of its own.
struct PostgresTestDatabase {
    static var serverURL: String? { ProcessInfo.processInfo.environment["CAUSEWAY_TEST_POSTGRES_URL"] }

    let url: String

    /// Creates an empty database on the test server.
    static func create() async throws -> PostgresTestDatabase {
        guard let server = serverURL else { throw StorageError("CAUSEWAY_TEST_POSTGRES_URL is not set") }
        let name = "causeway_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return PostgresTestDatabase(url: try await PostgresStore.createDatabase(name, server: server, logger: Logger(label: "postgres-test")))
    }

    /// A migrated store on this database, its pool running until `running` is cancelled.
    func open(correlationAttributes: [String] = [], detection: DetectionConfiguration = .default, owners: OwnerRouting = .default,
              notifications: NotificationPlan = .none) async throws -> (store: PostgresStore, running: Task<Void, Never>) {
        let store = try PostgresStore(url: url, logger: Logger(label: "postgres-store"),
                                      detection: DetectionSetup(detection: detection, owners: owners, correlationAttributes: correlationAttributes,
                                                                notifications: notifications))
        let running = Task { await store.run() }
        try await store.migrate()
        return (store, running)
    }
}
