import Foundation
import TraceModel

/// `/api/v1/stats` and `/metrics` at a large queue (DESIGN.md §4; issue: p99 ≤ 10 ms at 1M
/// exceptions): `count` one-call workflows that each open an `approval_required`, filed over
/// OTLP/HTTP, then sequential GETs against `/healthz` measured in the same run.
enum StatsBenchmark {
    static func run(count: Int, databasePath: String) async throws {
        let server = try ServerUnderTest(databasePath: databasePath, configuration: """
            detect: { approval: { required_tools: ["payments.*"] } }
            owners:
              - { match: { tool: "payments.refund_1*" }, owner: finance-approvals, sla: 15m }
              - { match: { tool: "payments.refund_2*" }, owner: finance-leads, sla: 1h }
              - { owner: ops-triage, sla: 24h }
            """)
        defer { server.stop() }
        let ingest = "http://127.0.0.1:\(server.httpPort)/v1/traces"
        let api = "http://127.0.0.1:\(server.apiPort)"
        let start: UInt64 = 1_763_750_000_000_000_000
        let began = ContinuousClock.now
        let chunk = 2000
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func post(_ first: Int) async throws {
                let spans = (first..<min(first + chunk, count)).map { index in
                    PageBenchmark.tool(trace: TraceID(high: 0x57A7_0000_0000_0000, low: UInt64(index + 1)), span: 1, parent: nil,
                                       name: "payments.refund_\(index % 40)", start: start + UInt64(index) * 1_000_000)
                }
                try await CausewayBench.post(ingest, PageBenchmark.batch(spans).protobufExportRequest())
            }
            for _ in 0..<4 where next < count {
                let first = next
                group.addTask { try await post(first) }
                next += chunk
            }
            while try await group.next() != nil, next < count {
                let first = next
                group.addTask { try await post(first) }
                next += chunk
            }
        }
        try await PageBenchmark.waitForOpenExceptions(api: api, count: count)
        print("")
        print(String(format: "stats: %d open exceptions filed over OTLP in %.0f s; %d sequential GETs each", count,
                     (ContinuousClock.now - began).seconds, PageBenchmark.samples))
        let floor = try await PageBenchmark.measure(api + "/healthz")
        print(String(format: "baseline  GET /healthz:        p50 %6.2f ms, p99 %6.2f ms", floor.p50 * 1000, floor.p99 * 1000))
        for path in ["/api/v1/stats", "/metrics"] {
            let result = try await PageBenchmark.measure(api + path)
            print(String(format: "stats     GET %@ p50 %6.2f ms, p99 %6.2f ms  (p99 %.1f× the floor's), %d KiB",
                         path.padding(toLength: 17, withPad: " ", startingAt: 0), result.p50 * 1000, result.p99 * 1000,
                         result.p99 / floor.p99, result.bytes / 1024))
        }
    }
}
