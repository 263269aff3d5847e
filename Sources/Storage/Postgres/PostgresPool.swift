import Logging
import ServiceLifecycle

/// The PostgreSQL store's connection pool (and its listener for other instances' changes) as a
/// Service: listed first in the group, it stops last, once the writer has committed.
public struct PostgresPool: Service {
    let store: PostgresStore

    public init(store: PostgresStore) {
        self.store = store
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await store.run() }
    }
}
