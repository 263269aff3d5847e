import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import OTLP
import Storage
import Synchronization
import TraceModel

/// `causeway-bench`: durable ingest throughput of the real server over OTLP/HTTP, against the
/// raw SQLite insert ceiling measured in the same run. Build with `-c release`.
@main
struct CausewayBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
            return value
        }
        let requests = option("--requests", 400)
        let spansPerRequest = option("--spans", 512)
        let concurrency = option("--concurrency", 8)
        let workload = Workload(spansPerRequest: spansPerRequest, requests: requests)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("causeway-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // CAUSEWAY_BENCH_KEEP=1 keeps the databases for inspection.
        let keep = ProcessInfo.processInfo.environment["CAUSEWAY_BENCH_KEEP"] == "1"
        defer { if keep { print("databases kept in \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) } }

        // --stores-only --postgres URL: the stores' own rates, SQLite against one and two PostgreSQL
        // writers on the server URL names (it must allow creating databases; Tests/Postgres/cluster.sh
        // starts a throwaway one).
        if arguments.contains("--stores-only") {
            guard let index = arguments.firstIndex(of: "--postgres"), index + 1 < arguments.count else { throw BenchError("--stores-only needs --postgres URL") }
            let linked = WorkflowWorkload(workflows: option("--workflows", 10), traces: 100, spansPerTrace: 100).batches(spansPerRequest: spansPerRequest)
            try await StoreBenchmark.run(postgres: arguments[index + 1], batches: (0..<requests).map(workload.batch), linked: linked,
                                         concurrency: concurrency, databasePath: directory.appendingPathComponent("stores.db").path)
            return
        }
        // --instances-only --postgres URL: real serve instances, one SQLite against one and two on PostgreSQL.
        if arguments.contains("--instances-only") {
            guard let index = arguments.firstIndex(of: "--postgres"), index + 1 < arguments.count else { throw BenchError("--instances-only needs --postgres URL") }
            try await InstanceBenchmark.run(postgres: arguments[index + 1], workflows: option("--workflows", 10), spansPerRequest: spansPerRequest,
                                            concurrency: concurrency, databasePath: directory.appendingPathComponent("instances.db").path)
            return
        }
        // --pages-only: the dashboard page render times alone.
        if arguments.contains("--pages-only") {
            try await PageBenchmark.run(databasePath: directory.appendingPathComponent("pages.db").path)
            return
        }
        // --admission-only: peak RSS and /healthz under --clients N (default 200) concurrent 19 MiB bodies.
        if arguments.contains("--admission-only") {
            try await AdmissionBenchmark.run(databasePath: directory.appendingPathComponent("admission.db").path, concurrency: option("--clients", 200))
            return
        }
        // --soak-only: --minutes M (default 30) at --rate SPANS_PER_S (default 24,000) with a 5-minute retention.
        if arguments.contains("--soak-only") {
            try await SoakBenchmark.run(minutes: option("--minutes", 30), rate: Double(option("--rate", 24_000)), spansPerRequest: spansPerRequest,
                                        databasePath: directory.appendingPathComponent("soak.db").path)
            return
        }
        // --stats-only: /api/v1/stats and /metrics at --exceptions N open items (default 1,000,000);
        // with --postgres URL, on a fresh database on that server instead of SQLite.
        if arguments.contains("--stats-only") {
            var database = directory.appendingPathComponent("stats.db").path
            if let index = arguments.firstIndex(of: "--postgres"), index + 1 < arguments.count {
                let name = "causeway_bench_stats_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
                database = try await PostgresStore.createDatabase(name, server: arguments[index + 1], logger: Logger(label: "bench"))
            }
            try await StatsBenchmark.run(count: option("--exceptions", 1_000_000), databasePath: database)
            return
        }
        // --loop-only: the loop's latencies alone, under half of --foundation SPANS_PER_S.
        if arguments.contains("--loop-only") {
            let bodies = (0..<requests).map { workload.batch($0).protobufExportRequest() }
            try await LoopBenchmark.run(maxRate: Double(option("--foundation", 40_000)), bodies: bodies, spansPerRequest: spansPerRequest,
                                        databasePath: directory.appendingPathComponent("loop.db").path)
            return
        }
        // --linked-only: the linked-workflow phase alone, against a foundation figure given by
        // --foundation SPANS_PER_S (for profiling that phase).
        if arguments.contains("--linked-only") {
            try await stitching(
                foundation: Double(option("--foundation", 1)), spansPerRequest: spansPerRequest, concurrency: concurrency,
                workflows: option("--workflows", 10), databasePath: directory.appendingPathComponent("workflows.db").path)
            return
        }
        print("workload: \(requests) requests × \(spansPerRequest) spans, \(concurrency) concurrent clients")
        let batches = (0..<requests).map(workload.batch)
        let bodies = batches.map { $0.protobufExportRequest() }
        let averageBody = bodies.reduce(0) { $0 + $1.count } / bodies.count
        print("request body: \(averageBody / 1024) KiB average (protobuf)")

        // The databases of the phases before go (unless kept) before the next phase starts (likely
        // cause: their write-back under it). Measured: with them kept, the linked phase's writer
        // was busy twice as long at the end of a full run as in a run of its own; without, as long.
        func clearDirectory() {
            guard !keep else { return }
            for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
            }
        }

        // Baseline: raw SQLite inserts of the same rows.
        let rows = batches.map(SQLiteBaseline.rows)
        let baseline = try SQLiteBaseline.run(path: directory.appendingPathComponent("baseline.db").path, batches: rows)
        clearDirectory()

        // End to end: the real server, as a child process.
        let server = try ServerUnderTest(databasePath: directory.appendingPathComponent("serve.db").path)
        defer { server.stop() }
        let result = try await load(bodies: bodies, url: "http://127.0.0.1:\(server.httpPort)/v1/traces", concurrency: concurrency)
        let peak = try server.peakResidentBytes()

        let total = requests * spansPerRequest
        let endToEnd = Double(total) / result.seconds
        print("")
        print(String(format: "baseline  raw SQLite insert, reused statement, 1 txn/batch: %9.0f spans/s", baseline))
        print(String(format: "causeway  OTLP/HTTP protobuf → durable (acknowledged):   %9.0f spans/s  (%.0f%% of baseline)", endToEnd, 100 * endToEnd / baseline))
        print(String(format: "request latency p50 %.1f ms, p99 %.1f ms; refused (503) %d", result.p50 * 1000, result.p99 * 1000, result.refused))
        print(String(format: "server peak RSS: %.0f MiB", Double(peak) / 1024 / 1024))
        try await printWriterShare(api: "http://127.0.0.1:\(server.apiPort)")
        server.stop()
        clearDirectory()

        // The same load with detection switched off: what detection costs.
        let quiet = try ServerUnderTest(databasePath: directory.appendingPathComponent("no-detect.db").path, configuration: "detect: { enabled: false }")
        let withoutDetection = try await load(bodies: bodies, url: "http://127.0.0.1:\(quiet.httpPort)/v1/traces", concurrency: concurrency)
        quiet.stop()
        clearDirectory()
        let offRate = Double(total) / withoutDetection.seconds
        print(String(format: "causeway  same load, detection off:                     %9.0f spans/s  (detection on = %.0f%% of off)", offRate, 100 * endToEnd / offRate))

        try await timeToException(
            maxRate: endToEnd, bodies: bodies, spansPerRequest: spansPerRequest,
            databasePath: directory.appendingPathComponent("time-to-exception.db").path)

        clearDirectory()
        try await LoopBenchmark.run(
            maxRate: endToEnd, bodies: bodies, spansPerRequest: spansPerRequest,
            databasePath: directory.appendingPathComponent("loop.db").path)
        clearDirectory()

        try await stitching(
            foundation: endToEnd, spansPerRequest: spansPerRequest, concurrency: concurrency,
            workflows: option("--workflows", 10), databasePath: directory.appendingPathComponent("workflows.db").path)

        clearDirectory()
        try await PageBenchmark.run(databasePath: directory.appendingPathComponent("pages.db").path)
    }

    /// Ingest of linked workflows sent in shuffled order (stitching at work), against the
    /// foundation figure of the same run; then the time to fetch one span's causal path.
    static func stitching(foundation: Double, spansPerRequest: Int, concurrency: Int, workflows: Int, databasePath: String) async throws {
        let workload = WorkflowWorkload(workflows: workflows, traces: 100, spansPerTrace: 100)
        let bodies = workload.batches(spansPerRequest: spansPerRequest).map { $0.protobufExportRequest() }
        print("")
        print("workflows: \(workflows) × (100 linked traces × 100 spans), shuffled, \(bodies.count) requests of ≤ \(spansPerRequest) spans")
        // Detection on: its facts (here 55% of spans: stale reads, failures) cost on top of stitching.
        let detecting = try ServerUnderTest(databasePath: databasePath + "-detect")
        let detected = try await load(bodies: bodies, url: "http://127.0.0.1:\(detecting.httpPort)/v1/traces", concurrency: concurrency)
        let detectedRate = Double(workflows * 100 * 100) / detected.seconds
        print(String(format: "causeway  linked workflows, shuffled, detection on:      %9.0f spans/s  (%.0f%% of the foundation figure)", detectedRate, 100 * detectedRate / foundation))
        try await printWriterShare(api: "http://127.0.0.1:\(detecting.apiPort)")
        detecting.stop()

        // Stitching alone (detection off), against the foundation figure.
        let server = try ServerUnderTest(databasePath: databasePath, configuration: "detect: { enabled: false }")
        defer { server.stop() }
        let result = try await load(bodies: bodies, url: "http://127.0.0.1:\(server.httpPort)/v1/traces", concurrency: concurrency)
        let rate = Double(workflows * 100 * 100) / result.seconds
        print(String(format: "causeway  linked workflows, shuffled, stitching only:    %9.0f spans/s  (%.0f%% of the foundation figure)", rate, 100 * rate / foundation))
        try await printWriterShare(api: "http://127.0.0.1:\(server.apiPort)")

        // Every workflow must have come together whole.
        let api = "http://127.0.0.1:\(server.apiPort)"
        for index in 0..<workflows {
            let body = try await get(api + "/api/v1/traces/\(workload.traceID(workflow: index, trace: 57).hex)")
            let text = String(decoding: body, as: UTF8.self)
            guard text.contains("\"span_count\":10000,"), text.contains("\"placeholders\":[]}") else {
                throw BenchError("workflow \(index) is not whole after ingest")
            }
        }

        // Causal path fetches for random spans, one at a time, over HTTP.
        var random = SplitMix64(seed: 42)
        var latencies: [Double] = []
        var hops = 0
        let samples = 2000
        for _ in 0..<samples {
            let workflow = Int.random(in: 0..<workflows, using: &random)
            let trace = Int.random(in: 0..<100, using: &random)
            let position = Int.random(in: 0..<100, using: &random)
            let url = api + "/api/v1/spans/\(workload.traceID(workflow: workflow, trace: trace).hex)/\(workload.spanID(trace: trace, position: position).hex)/path"
            let sent = ContinuousClock.now
            let body = try await get(url)
            latencies.append((ContinuousClock.now - sent).seconds)
            hops += String(decoding: body, as: UTF8.self).components(separatedBy: "\"relation\":").count - 1
        }
        latencies.sort()
        print(String(format: "causal path  GET /api/v1/spans/…/path, %d random spans: p50 %.2f ms, p99 %.2f ms, %.1f hops average",
                     samples, latencies[samples / 2] * 1000, latencies[samples * 99 / 100] * 1000, Double(hops) / Double(samples)))
    }

    /// Time from the ack of a request carrying a trigger span (a tool's second non-transient
    /// failure) to the exception being returned by the API, while background load runs at half
    /// the measured maximum ingest rate.
    static func timeToException(maxRate: Double, bodies: [[UInt8]], spansPerRequest: Int, databasePath: String) async throws {
        let server = try ServerUnderTest(databasePath: databasePath, configuration: """
            owners:
              - { match: { tool: "courier.*" }, owner: bench-courier, sla: 1h }
            """)
        defer { server.stop() }
        let ingest = "http://127.0.0.1:\(server.httpPort)/v1/traces"
        let api = "http://127.0.0.1:\(server.apiPort)"
        let interval = Double(spansPerRequest) / (maxRate / 2)
        let started = ContinuousClock.now
        let background = backgroundLoad(ingest: ingest, bodies: bodies, interval: interval, from: started)
        let duration = Double(bodies.count) * interval
        var latencies: [Double] = []
        var index = 0
        while (ContinuousClock.now - started).seconds < duration {
            index += 1
            let trace = TraceID(high: 0x7716_0000_0000_0000, low: UInt64(index))
            let spans = (1...2).map { attempt in
                Span(traceID: trace, spanID: SpanID(UInt64(attempt)), name: "execute_tool courier.pickup", kind: .client,
                     startTimeUnixNano: 1_763_750_000_000_000_000 + UInt64(attempt) * 1_000_000_000,
                     endTimeUnixNano: 1_763_750_000_000_000_000 + UInt64(attempt) * 1_000_000_000 + 1_000_000,
                     attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("courier.pickup")),
                                  Attribute("error.type", .string("address_not_found"))],
                     status: SpanStatus(code: .error, message: "address not found"))
            }
            let batch = TraceBatch(resourceGroups: [ResourceGroup(resource: Resource(attributes: [Attribute("service.name", .string("dispatch"))]),
                                                                  scopeGroups: [ScopeGroup(spans: spans)])])
            try await post(ingest, batch.protobufExportRequest())
            let acked = ContinuousClock.now
            while true {
                let body = String(decoding: try await get(api + "/api/v1/exceptions?owner=bench-courier&limit=5"), as: UTF8.self)
                if body.contains(trace.hex) { break }
                guard (ContinuousClock.now - acked).seconds < 10 else { throw BenchError("no exception for trigger \(index) after 10 s") }
            }
            latencies.append((ContinuousClock.now - acked).seconds)
            try await Task.sleep(for: .milliseconds(20))
        }
        try await background.value
        let rate = Double(bodies.count * spansPerRequest) / (ContinuousClock.now - started).seconds
        latencies.sort()
        print(String(format: "time to exception  ack → returned by the API, %d triggers under %.0f spans/s background (target %.0f): p50 %.2f ms, p99 %.2f ms",
                     latencies.count, rate, maxRate / 2, latencies[latencies.count / 2] * 1000, latencies[latencies.count * 99 / 100] * 1000))
    }

    /// Sends `bodies` to `ingest`, one every `interval` seconds from `started`, without waiting
    /// for answers in between (the background load of the latency phases).
    static func backgroundLoad(ingest: String, bodies: [[UInt8]], interval: Double, from started: ContinuousClock.Instant) -> Task<Void, any Error> {
        Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, body) in bodies.enumerated() {
                    try await Task.sleep(until: started + .seconds(Double(index) * interval), clock: .continuous)
                    group.addTask { try await post(ingest, body) }
                }
                try await group.waitForAll()
            }
        }
    }

    static func post(_ url: String, _ body: [UInt8]) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
        request.body = .bytes(ByteBuffer(bytes: body))
        while true {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1024 * 1024)
            if response.status == .ok { return }
            guard response.status == .serviceUnavailable else { throw BenchError("server answered \(response.status)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The server's own account (`/api/v1/stats`) of how much of its writing time went to stitching.
    static func printWriterShare(api: String) async throws {
        let stats = try JSONValue.parse(try await get(api + "/api/v1/stats"))
        guard case .object(let root) = stats, case .object(let ingest)? = root["ingest"],
              case .number(let writing)? = ingest["writing_seconds"], case .number(let stitching)? = ingest["stitching_seconds"],
              case .number(let detecting)? = ingest["detection_seconds"],
              let writingSeconds = Double(writing), let stitchingSeconds = Double(stitching), let detectionSeconds = Double(detecting) else {
            throw BenchError("no ingest figures in /api/v1/stats")
        }
        print(String(format: "          writer busy %.2f s, of which stitching %.3f s (%.1f%%), detection %.3f s (%.1f%%)",
                     writingSeconds, stitchingSeconds, 100 * stitchingSeconds / max(writingSeconds, 1e-9),
                     detectionSeconds, 100 * detectionSeconds / max(writingSeconds, 1e-9)))
    }

    static func get(_ url: String) async throws -> [UInt8] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 256 * 1024 * 1024)
        guard response.status == .ok else { throw BenchError("GET \(url) answered \(response.status)") }
        return Array(body.readableBytesView)
    }

    struct LoadResult {
        var seconds: Double
        var p50: Double
        var p99: Double
        var refused: Int
    }

    /// Sends every body, `concurrency` at a time, retrying a 503 as an exporter would.
    static func load(bodies: [[UInt8]], url: String, concurrency: Int) async throws -> LoadResult {
        let next = Counter()
        let refused = Counter()
        let buffers = bodies.map { ByteBuffer(bytes: $0) }
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    while true {
                        let index = next.value.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < buffers.count else { return latencies }
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
                        request.body = .bytes(buffers[index])
                        while true {
                            let sent = ContinuousClock.now
                            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                            _ = try await response.body.collect(upTo: 1024 * 1024)
                            if response.status == .ok {
                                latencies.append((ContinuousClock.now - sent).seconds)
                                break
                            }
                            guard response.status == .serviceUnavailable else {
                                throw BenchError("server answered \(response.status)")
                            }
                            refused.value.wrappingAdd(1, ordering: .relaxed)
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
        let seconds = (ContinuousClock.now - started).seconds
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return LoadResult(seconds: seconds, p50: percentile(0.5), p99: percentile(0.99), refused: refused.value.load(ordering: .relaxed))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
