import Foundation
import TraceModel

/// A long run at a steady rate with a short retention (issue: RSS slope ≈ 0, DB size flat with a
/// 5-minute retention): the bench's workload at `rate` spans/s for `minutes`, sampling the
/// server's resident memory and database size every 30 s; the slopes are fitted over the second
/// half, once retention has reached steady state. Its traces are independent agent runs.
enum SoakBenchmark {
    static func run(minutes: Int, rate: Double, spansPerRequest: Int, databasePath: String) async throws {
        let server = try ServerUnderTest(databasePath: databasePath, configuration: "storage: { retention: 5m }")
        defer { server.stop() }
        let ingest = "http://127.0.0.1:\(server.httpPort)/v1/traces"
        let workload = Workload(spansPerRequest: spansPerRequest, requests: .max)
        let interval = Double(spansPerRequest) / rate
        let started = ContinuousClock.now
        let duration = Double(minutes * 60)
        emit("")
        emit(String(format: "soak: %.0f spans/s for %d min, retention 5m; samples every 30 s", rate, minutes))
        emit("  minute   RSS MiB   DB+WAL MiB   spans sent")
        let sent = Counter()
        let load = Task {
            // Paced at `rate`, at most 8 requests in flight (an exporter's worth): when the server
            // falls behind, the achieved rate says so instead of a queue growing in this process.
            try await withThrowingTaskGroup(of: Void.self) { group in
                var index = 0
                var inFlight = 0
                while (ContinuousClock.now - started).seconds < duration {
                    try await Task.sleep(until: started + .seconds(Double(index) * interval), clock: .continuous)
                    if inFlight >= 8 {
                        try await group.next()
                        inFlight -= 1
                    }
                    let body = independent(workload.batch(index)).protobufExportRequest()
                    group.addTask {
                        try await CausewayBench.post(ingest, body)
                        sent.value.wrappingAdd(spansPerRequest, ordering: .relaxed)
                    }
                    inFlight += 1
                    index += 1
                }
                try await group.waitForAll()
            }
        }
        var samples: [(minute: Double, rss: Double, db: Double)] = []
        while (ContinuousClock.now - started).seconds < duration {
            try await Task.sleep(for: .seconds(30))
            let minute = (ContinuousClock.now - started).seconds / 60
            let sample = (minute: minute, rss: Double(try server.residentBytes()) / 1_048_576, db: Double(databaseBytes(databasePath)) / 1_048_576)
            samples.append(sample)
            emit(String(format: "  %6.1f   %7.0f   %10.0f   %10d", sample.minute, sample.rss, sample.db, sent.value.load(ordering: .relaxed)))
        }
        try await load.value
        let steady = Array(samples.suffix(samples.count / 2))
        emit(String(format: "soak      RSS slope %+.1f MiB per 10 min, DB+WAL slope %+.1f MiB per 10 min (second half, %d samples); achieved %.0f spans/s",
                     10 * slope(steady.map { ($0.minute, $0.rss) }), 10 * slope(steady.map { ($0.minute, $0.db) }), steady.count,
                     Double(sent.value.load(ordering: .relaxed)) / (ContinuousClock.now - started).seconds))
    }

    /// The batch without its links: the bench's workload chains every trace to the one before, so
    /// a long run would be one ever-growing workflow that never goes quiet (and never ages out);
    /// a soak wants a steady stream of agent runs that each end.
    static func independent(_ batch: TraceBatch) -> TraceBatch {
        var batch = batch
        for g in batch.resourceGroups.indices {
            for s in batch.resourceGroups[g].scopeGroups.indices {
                for i in batch.resourceGroups[g].scopeGroups[s].spans.indices { batch.resourceGroups[g].scopeGroups[s].spans[i].links = [] }
            }
        }
        return batch
    }

    /// A line to stdout at once (it may be a file, and the run is long).
    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func databaseBytes(_ path: String) -> Int {
        ["", "-wal"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int) ?? 0)
        }
    }

    /// The least-squares slope of y over x.
    static func slope(_ points: [(Double, Double)]) -> Double {
        guard points.count > 1 else { return 0 }
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.0 } / n
        let meanY = points.reduce(0) { $0 + $1.1 } / n
        let numerator = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) }
        let denominator = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.0 - meanX) }
        return denominator == 0 ? 0 : numerator / denominator
    }
}
