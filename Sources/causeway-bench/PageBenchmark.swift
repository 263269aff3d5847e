import Foundation
import TraceModel

/// Dashboard page render times (DESIGN.md §7): the queue with 10,000 open exceptions and an
/// exception whose workflow has 10,000 spans, each over HTTP from this process, against
/// `/healthz` measured in the same run (the HTTP floor).
enum PageBenchmark {
    static let samples = 300

    static func run(databasePath: String) async throws {
        let server = try ServerUnderTest(databasePath: databasePath, configuration: """
            detect: { approval: { required_tools: ["payments.*"] } }
            owners:
              - { match: { tool: "payments.refund_1*" }, owner: finance-approvals, sla: 15m }
              - { match: { tool: "payments.refund_2*" }, owner: finance-leads, sla: 1h }
              - { match: { tool: "payments.refund_3*" }, owner: billing-ops, sla: 4h }
              - { owner: ops-triage, sla: 24h }
            """)
        defer { server.stop() }
        let ingest = "http://127.0.0.1:\(server.httpPort)/v1/traces"
        let api = "http://127.0.0.1:\(server.apiPort)"
        let start: UInt64 = 1_763_750_000_000_000_000

        // 10,000 workflows, each one payments call that ran without an approval.
        let queueTraces = (0..<10_000).map { TraceID(high: 0x9A9E_0000_0000_0000, low: UInt64($0 + 1)) }
        for chunk in stride(from: 0, to: queueTraces.count, by: 500) {
            let spans = queueTraces[chunk..<min(chunk + 500, queueTraces.count)].enumerated().map { offset, trace in
                tool(trace: trace, span: 1, parent: nil, name: "payments.refund_\((chunk + offset) % 40)", start: start + UInt64(chunk + offset) * 1_000_000)
            }
            try await CausewayBench.post(ingest, batch(spans).protobufExportRequest())
        }

        // One workflow of 10,000 spans: a root, 100 agent steps of 99 calls each, one of them a refund.
        let big = TraceID(high: 0xB16_0000_0000_0000, low: 1)
        var spans = [Span(traceID: big, spanID: SpanID(1), name: "invoke_agent settlement", kind: .server,
                          startTimeUnixNano: start, endTimeUnixNano: start + 600_000_000_000)]
        for step in 0..<100 {
            let stepID = SpanID(UInt64(2 + step * 100))
            let stepStart = start + UInt64(step) * 5_000_000_000
            spans.append(Span(traceID: big, spanID: stepID, parentSpanID: SpanID(1), name: "agent step \(step)", kind: .internal,
                              startTimeUnixNano: stepStart, endTimeUnixNano: stepStart + 4_900_000_000))
            for call in 0..<99 {
                let name = step == 73 && call == 42 ? "payments.issue_refund" : "ledger.read_\(call % 7)"
                spans.append(tool(trace: big, span: UInt64(3 + step * 100 + call), parent: stepID, name: name,
                                  start: stepStart + UInt64(call) * 40_000_000))
            }
        }
        for chunk in stride(from: 0, to: spans.count, by: 1000) {
            try await CausewayBench.post(ingest, batch(Array(spans[chunk..<min(chunk + 1000, spans.count)])).protobufExportRequest())
        }

        // Wait until all 10,001 are filed.
        try await waitForOpenExceptions(api: api, count: 10_001)
        let found = try JSONValue.parse(try await CausewayBench.get(api + "/api/v1/exceptions?owner=ops-triage&class=approval_required&limit=500"))
        guard case .object(let root) = found, case .array(let items)? = root["exceptions"],
              let bigID = items.compactMap({ item -> String? in
                  guard case .object(let fields) = item, case .string(let trace)? = fields["trace_id"], trace == big.hex,
                        case .string(let id)? = fields["id"] else { return nil }
                  return id
              }).first else {
            throw BenchError("no exception for the 10,000-span workflow")
        }

        print("")
        print("pages: 10,000 open exceptions; one exception in a 10,000-span workflow; \(samples) sequential GETs each")
        let floor = try await measure(api + "/healthz")
        print(String(format: "baseline  GET /healthz:                                   p50 %6.2f ms, p99 %6.2f ms", floor.p50 * 1000, floor.p99 * 1000))
        for (label, path) in [("GET / (queue, 10,000 open)", "/"),
                              ("GET /?owner=billing-ops&severity=critical", "/?owner=billing-ops&severity=critical"),
                              ("GET /exceptions/{id} (10,000-span workflow)", "/exceptions/\(bigID)"),
                              ("GET /workflows/{trace} (10,000 spans, 2,000 drawn)", "/workflows/\(big.hex)"),
                              ("GET /insights (10,001 items)", "/insights")] {
            let result = try await measure(api + path)
            print(String(format: "page      %@ p50 %6.2f ms, p99 %6.2f ms  (p50 %.1f× the floor), %d KiB",
                         label.padding(toLength: 50, withPad: " ", startingAt: 0), result.p50 * 1000, result.p99 * 1000,
                         result.p50 / floor.p50, result.bytes / 1024))
        }
    }

    static func tool(trace: TraceID, span: UInt64, parent: SpanID?, name: String, start: UInt64) -> Span {
        Span(traceID: trace, spanID: SpanID(span), parentSpanID: parent, name: "execute_tool \(name)", kind: .client,
             startTimeUnixNano: start, endTimeUnixNano: start + 30_000_000,
             attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string(name)),
                          Attribute("gen_ai.tool.call.id", .string("call_\(trace.low)_\(span)"))])
    }

    static func batch(_ spans: [Span]) -> TraceBatch {
        TraceBatch(resourceGroups: [ResourceGroup(resource: Resource(attributes: [Attribute("service.name", .string("bench-agent"))]),
                                                  scopeGroups: [ScopeGroup(spans: spans)])])
    }

    /// Returns once `/api/v1/stats` counts `count` open exceptions.
    static func waitForOpenExceptions(api: String, count: Int) async throws {
        while true {
            let stats = String(decoding: try await CausewayBench.get(api + "/api/v1/stats"), as: UTF8.self)
            if let range = stats.range(of: #""open":(\d+)"#, options: .regularExpression),
               let open = Int(stats[range].dropFirst(7)), open >= count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func measure(_ url: String) async throws -> (p50: Double, p99: Double, bytes: Int) {
        var latencies: [Double] = []
        var bytes = 0
        for _ in 0..<samples {
            let sent = ContinuousClock.now
            bytes = try await CausewayBench.get(url).count
            latencies.append((ContinuousClock.now - sent).seconds)
        }
        latencies.sort()
        return (latencies[samples / 2], latencies[samples * 99 / 100], bytes)
    }
}
