import Foundation
import Logging
import Storage

/// Durable spans/s and memory of real `causeway serve` instances (DESIGN.md §11): the linked
/// workflows, shuffled, detection on, over OTLP/HTTP into one SQLite instance, one PostgreSQL
/// instance, and two PostgreSQL instances on one database (each request to one of them in turn),
/// same run; peak RSS (VmHWM) per instance.
enum InstanceBenchmark {
    static func run(postgres server: String, workflows: Int, spansPerRequest: Int, concurrency: Int, databasePath: String) async throws {
        let workload = WorkflowWorkload(workflows: workflows, traces: 100, spansPerTrace: 100)
        let bodies = workload.batches(spansPerRequest: spansPerRequest).map { $0.protobufExportRequest() }
        let spans = Double(workflows * 100 * 100)
        print("instances: \(workflows) × (100 linked traces × 100 spans), shuffled, detection on, \(bodies.count) requests, \(concurrency) concurrent per instance")

        let sqlite = try ServerUnderTest(databasePath: databasePath)
        let baseline = spans / (try await CausewayBench.load(bodies: bodies, url: "http://127.0.0.1:\(sqlite.httpPort)/v1/traces", concurrency: concurrency)).seconds
        let sqliteMemory = try sqlite.peakResidentBytes()
        sqlite.stop()
        print(String(format: "baseline  one SQLite instance:                 %9.0f spans/s   peak RSS %4d MiB", baseline, sqliteMemory >> 20))

        for count in [1, 2] {
            let name = "causeway_instances_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let url = try await PostgresStore.createDatabase(name, server: server, logger: Logger(label: "bench"))
            let instances = try (0..<count).map { _ in try ServerUnderTest(databasePath: url) }
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, instance) in instances.enumerated() {
                    let share = bodies.enumerated().filter { $0.offset % count == index }.map(\.element)
                    let endpoint = "http://127.0.0.1:\(instance.httpPort)/v1/traces"
                    group.addTask { _ = try await CausewayBench.load(bodies: share, url: endpoint, concurrency: concurrency) }
                }
                try await group.waitForAll()
            }
            let rate = spans / (ContinuousClock.now - started).seconds
            let memory = try instances.map { try $0.peakResidentBytes() >> 20 }
            instances.forEach { $0.stop() }
            print(String(format: "postgres  %d instance%@ on one database:         %9.0f spans/s   (%.0f%% of SQLite)   peak RSS %@ MiB",
                         count, count == 1 ? " " : "s", rate, 100 * rate / baseline, memory.map(String.init).joined(separator: " / ")))
        }
    }
}
