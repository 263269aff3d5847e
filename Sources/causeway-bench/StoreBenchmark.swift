import Detection
import Foundation
import Logging
import Storage
import TraceModel

/// Durable spans/s of the stores themselves, in this process (no HTTP, no decoding): one SQLite
/// store against one and two PostgreSQL writers on one server (DESIGN.md §11), detection off on
/// all, same batches, same run. Then the linked-workflow load, shuffled, across two PostgreSQL
/// writers against one SQLite store, detection off and then on (the default patterns).
enum StoreBenchmark {
    static func run(postgres server: String, batches: [TraceBatch], linked: [TraceBatch], concurrency: Int, databasePath: String) async throws {
        let logger = Logger(label: "bench")
        let spans = batches.reduce(0) { $0 + $1.spanCount }
        let linkedSpans = linked.reduce(0) { $0 + $1.spanCount }
        print("stores: \(batches.count) requests × \(spans / max(batches.count, 1)) spans, \(concurrency) concurrent writes per writer, detection off")

        let quiet = DetectionConfiguration(enabled: false)
        let sqlite = try TraceStore(path: databasePath, detection: quiet)
        let sqliteRate = Double(spans) / (try await write([(SpanWriter(store: sqlite, logger: logger), batches)], concurrency: concurrency))
        print(String(format: "baseline  SQLite store, one writer:                    %9.0f spans/s", sqliteRate))

        for writers in [1, 2] {
            let rate = try await postgres(server, writers: writers, batches: batches, concurrency: concurrency, spans: spans, logger: logger)
            print(String(format: "postgres  %d writer%@ on one server:                    %9.0f spans/s  (%.0f%% of SQLite)",
                         writers, writers == 1 ? " " : "s", rate, 100 * rate / sqliteRate))
        }

        let linkedSQLite = try TraceStore(path: databasePath + "-linked", detection: quiet)
        let linkedSQLiteRate = Double(linkedSpans) / (try await write([(SpanWriter(store: linkedSQLite, logger: logger), linked)], concurrency: concurrency))
        print(String(format: "baseline  SQLite store, linked workflows, shuffled:    %9.0f spans/s", linkedSQLiteRate))
        let linkedRate = try await postgres(server, writers: 2, batches: linked, concurrency: concurrency, spans: linkedSpans, logger: logger)
        print(String(format: "postgres  2 writers, linked workflows, shuffled:      %9.0f spans/s  (%.0f%% of SQLite)", linkedRate, 100 * linkedRate / linkedSQLiteRate))

        let detecting = try TraceStore(path: databasePath + "-detecting")
        let detectingRate = Double(linkedSpans) / (try await write([(SpanWriter(store: detecting, logger: logger), linked)], concurrency: concurrency))
        print(String(format: "baseline  SQLite store, linked, detection on:         %9.0f spans/s", detectingRate))
        for writers in [1, 2] {
            let rate = try await postgres(server, writers: writers, batches: linked, concurrency: concurrency, spans: linkedSpans,
                                          detection: .default, logger: logger)
            print(String(format: "postgres  %d writer%@, linked, detection on:            %9.0f spans/s  (%.0f%% of SQLite)",
                         writers, writers == 1 ? " " : "s", rate, 100 * rate / detectingRate))
        }
    }

    /// Spans/s of `writers` PostgreSQL stores on a new database, the batches dealt out in turn.
    static func postgres(_ server: String, writers: Int, batches: [TraceBatch], concurrency: Int, spans: Int,
                         detection: DetectionConfiguration = DetectionConfiguration(enabled: false), logger: Logger) async throws -> Double {
        let name = "causeway_bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let url = try await PostgresStore.createDatabase(name, server: server, logger: logger)
        var stores: [PostgresStore] = []
        var pools: [Task<Void, Never>] = []
        defer { pools.forEach { $0.cancel() } }
        for _ in 0..<writers {
            let store = try PostgresStore(url: url, logger: logger, detection: DetectionSetup(detection: detection))
            pools.append(Task { await store.run() })
            try await store.migrate()
            stores.append(store)
        }
        let shares = stores.enumerated().map { index, store in
            (SpanWriter(store: store, logger: logger), batches.enumerated().filter { $0.offset % writers == index }.map(\.element))
        }
        return Double(spans) / (try await write(shares, concurrency: concurrency))
    }

    /// Seconds to commit every batch through its writer, `concurrency` writes in flight per writer.
    static func write(_ shares: [(writer: SpanWriter, batches: [TraceBatch])], concurrency: Int) async throws -> Double {
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (writer, batches) in shares {
                group.addTask { try await writer.run() }
                group.addTask {
                    let next = Counter()
                    try await withThrowingTaskGroup(of: Void.self) { clients in
                        for _ in 0..<concurrency {
                            clients.addTask {
                                while true {
                                    let index = next.value.wrappingAdd(1, ordering: .relaxed).oldValue
                                    guard index < batches.count else { return }
                                    try await writer.write(batches[index])
                                }
                            }
                        }
                        try await clients.waitForAll()
                    }
                    writer.finish()
                }
            }
            try await group.waitForAll()
        }
        return (ContinuousClock.now - started).seconds
    }
}
