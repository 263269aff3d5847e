import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import TraceModel

/// Memory bounded per process (DESIGN.md §1; issue: peak RSS ≤ 1 GiB under 200 concurrent 19 MiB
/// bodies with the defaults): `concurrency` clients each post one 19 MiB OTLP body at once while
/// `/healthz` is probed; peak RSS (VmHWM) and the probe's latencies against the same probe on the
/// idle server, measured in the same run.
enum AdmissionBenchmark {
    static func run(databasePath: String, concurrency: Int) async throws {
        let server = try ServerUnderTest(databasePath: databasePath)
        defer { server.stop() }
        let ingest = "http://127.0.0.1:\(server.httpPort)/v1/traces"
        let health = "http://127.0.0.1:\(server.apiPort)/healthz"
        let filler = String(repeating: "x", count: 38_000)
        let start: UInt64 = 1_763_750_000_000_000_000
        var spans: [Span] = []
        for index in 0..<524 {
            let at = start + UInt64(index)
            let trace = TraceID(high: 0xAD31_0000_0000_0000, low: UInt64(index / 50 + 1))
            spans.append(Span(traceID: trace, spanID: SpanID(UInt64(index + 1)), name: "tool call \(index)", kind: .internal,
                              startTimeUnixNano: at, endTimeUnixNano: at + 1000, attributes: [Attribute("payload", .string(filler))]))
        }
        let body = ByteBuffer(bytes: PageBenchmark.batch(spans).protobufExportRequest())
        // The probe has an event loop of its own, so the uploads' client side does not delay it.
        let prober = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 1))
        let idle = try await probe(health, with: prober, samples: 200)
        let idleRSS = try server.peakResidentBytes()

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency + 8
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let done = Counter()
        let probing = Task { try await probe(health, with: prober, samples: .max, until: done) }
        let started = ContinuousClock.now
        let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var request = HTTPClientRequest(url: ingest)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/x-protobuf")
                    request.body = .bytes(body)
                    let response = try await client.execute(request, timeout: .seconds(300))
                    _ = try await response.body.collect(upTo: 1024 * 1024)
                    return response.status.code
                }
            }
            return try await group.reduce(into: [UInt]()) { $0.append($1) }
        }
        let seconds = (ContinuousClock.now - started).seconds
        done.value.store(1, ordering: .relaxed)
        let loaded = try await probing.value
        try await client.shutdown()
        try await prober.shutdown()
        let peak = try server.peakResidentBytes()
        print("")
        print(String(format: "admission: %d concurrent %.1f MiB bodies (defaults: 256 MiB in flight), answered in %.1f s",
                     concurrency, Double(body.readableBytes) / 1_048_576, seconds))
        print(String(format: "          accepted %d, refused 503 %d, other %d", statuses.filter { $0 == 200 }.count,
                     statuses.filter { $0 == 503 }.count, statuses.filter { $0 != 200 && $0 != 503 }.count))
        print(String(format: "          peak RSS %.0f MiB (idle %.0f MiB)", Double(peak) / 1_048_576, Double(idleRSS) / 1_048_576))
        print(String(format: "baseline  GET /healthz, idle:        p50 %6.2f ms, p99 %6.2f ms, max %6.2f ms", idle.p50 * 1000, idle.p99 * 1000, idle.max * 1000))
        print(String(format: "admission GET /healthz, under load:  p50 %6.2f ms, p99 %6.2f ms, max %6.2f ms  (%d probes; p99 %.1f× idle)",
                     loaded.p50 * 1000, loaded.p99 * 1000, loaded.max * 1000, loaded.count, loaded.p99 / idle.p99))
    }

    /// Sequential GETs 20 ms apart: `samples` of them, or until `until` is set.
    static func probe(_ url: String, with client: HTTPClient, samples: Int, until: Counter? = nil) async throws -> (p50: Double, p99: Double, max: Double, count: Int) {
        var latencies: [Double] = []
        while latencies.count < samples, until?.value.load(ordering: .relaxed) != 1 {
            let sent = ContinuousClock.now
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1024)
            latencies.append((ContinuousClock.now - sent).seconds)
            try await Task.sleep(for: .milliseconds(20))
        }
        latencies.sort()
        guard !latencies.isEmpty else { return (0, 0, 0, 0) }
        return (latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 99 / 100)], latencies.last ?? 0, latencies.count)
    }
}
