import AsyncHTTPClient
import Foundation
import NIOCore
import OTLP
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
        defer { try? FileManager.default.removeItem(at: directory) }

        print("workload: \(requests) requests × \(spansPerRequest) spans, \(concurrency) concurrent clients")
        let batches = (0..<requests).map(workload.batch)
        let bodies = batches.map { $0.protobufExportRequest() }
        let averageBody = bodies.reduce(0) { $0 + $1.count } / bodies.count
        print("request body: \(averageBody / 1024) KiB average (protobuf)")

        // Baseline: raw SQLite inserts of the same rows.
        let rows = batches.map(SQLiteBaseline.rows)
        let baseline = try SQLiteBaseline.run(path: directory.appendingPathComponent("baseline.db").path, batches: rows)

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
