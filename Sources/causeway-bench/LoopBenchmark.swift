import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import OTLP
import Synchronization
import TraceModel

/// The loop's latencies (DESIGN.md §9) while ingest runs at half its measured maximum: an
/// exception's opening (its export acknowledged) → its webhook arriving at a receiver on
/// 127.0.0.1; a reviewer's approve → the agent's waiting long poll answering `proceed`.
enum LoopBenchmark {
    static func run(maxRate: Double, bodies: [[UInt8]], spansPerRequest: Int, databasePath: String) async throws {
        // The receiver: notes when each exception's webhook arrives, by its trigger's trace id.
        let arrivals = Mutex<[String: ContinuousClock.Instant]>([:])
        let receiverPort = Mutex<Int?>(nil)
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            if let range = body.range(of: "\"trace_id\":\"") {
                let trace = String(body[range.upperBound...].prefix(32))
                arrivals.withLock { $0[trace] = $0[trace] ?? .now }
            }
            return .noContent
        }
        var quiet = Logger(label: "bench-receiver")
        quiet.logLevel = .critical
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                   onServerRunning: { channel in receiverPort.withLock { $0 = channel.localAddress?.port } }, logger: quiet)
        let receiving = Task { try await receiver.runService() }
        defer { receiving.cancel() }
        var port: Int?
        for _ in 0..<500 where port == nil {
            port = receiverPort.withLock { $0 }
            if port == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        guard let port else { throw BenchError("the webhook receiver did not start") }

        let server = try ServerUnderTest(databasePath: databasePath, configuration: """
            detect: { approval: { required_tools: ["payments.*"] } }
            owners:
              - { match: { class: approval_required }, owner: bench-finance, sla: 1h }
            notify:
              - { name: bench, url: "http://127.0.0.1:\(port)/hook", events: [opened] }
            """)
        defer { server.stop() }
        let ingest = "http://127.0.0.1:\(server.httpPort)/v1/traces"
        let api = "http://127.0.0.1:\(server.apiPort)"
        let interval = Double(spansPerRequest) / (maxRate / 2)
        let started = ContinuousClock.now
        let background = CausewayBench.backgroundLoad(ingest: ingest, bodies: bodies, interval: interval, from: started)
        let duration = Double(bodies.count) * interval
        var toWebhook: [Double] = []
        var toProceed: [Double] = []
        var index = 0
        while (ContinuousClock.now - started).seconds < duration {
            index += 1
            // A refund that ran without an approval: opens approval_required, holds the agent.
            let trace = TraceID(high: 0x100F_0000_0000_0000, low: UInt64(index))
            let span = Span(traceID: trace, spanID: SpanID(1), name: "execute_tool payments.issue_refund", kind: .client,
                            startTimeUnixNano: 1_763_750_000_000_000_000, endTimeUnixNano: 1_763_750_000_001_000_000,
                            attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("payments.issue_refund")),
                                         Attribute("gen_ai.tool.call.id", .string("call_\(index)"))])
            let batch = TraceBatch(resourceGroups: [ResourceGroup(resource: Resource(attributes: [Attribute("service.name", .string("refund-agent"))]),
                                                                  scopeGroups: [ScopeGroup(spans: [span])])])
            try await CausewayBench.post(ingest, batch.protobufExportRequest())
            let acked = ContinuousClock.now
            while arrivals.withLock({ $0[trace.hex] }) == nil {
                guard (ContinuousClock.now - acked).seconds < 10 else { throw BenchError("no webhook for exception \(index) after 10 s") }
                try await Task.sleep(for: .milliseconds(1))
            }
            toWebhook.append((arrivals.withLock { $0[trace.hex] }! - acked).seconds)

            // The agent waits on the long poll; a reviewer approves.
            let decisions = api + "/api/v1/decisions?trace_id=\(trace.hex)"
            guard case .object(let held) = try JSONValue.parse(try await CausewayBench.get(decisions)),
                  case .array(let blocking)? = held["blocking"], case .object(let first)? = blocking.first,
                  case .string(let id)? = first["id"] else {
                throw BenchError("exception \(index) does not hold the agent")
            }
            let waiting = Task { () -> ContinuousClock.Instant in
                guard case .object(let answer) = try JSONValue.parse(try await CausewayBench.get(decisions + "&wait=30s")),
                      case .string("proceed")? = answer["decision"] else { throw BenchError("the long poll did not answer proceed") }
                return ContinuousClock.now
            }
            try await Task.sleep(for: .milliseconds(20))
            let approving = ContinuousClock.now
            try await act(api + "/api/v1/exceptions/\(id)/actions", #"{"action":"approve","actor":"bench"}"#)
            toProceed.append((try await waiting.value - approving).seconds)
            try await Task.sleep(for: .milliseconds(20))
        }
        try await background.value
        let rate = Double(bodies.count * spansPerRequest) / (ContinuousClock.now - started).seconds
        for (name, samples) in [("opened → webhook at a local receiver", toWebhook), ("approve → waiting long poll answers proceed", toProceed)] {
            let sorted = samples.sorted()
            print(String(format: "loop      %@, %d samples under %.0f spans/s background (target %.0f): p50 %.2f ms, p99 %.2f ms",
                         name, sorted.count, rate, maxRate / 2, sorted[sorted.count / 2] * 1000, sorted[sorted.count * 99 / 100] * 1000))
        }
    }

    static func act(_ url: String, _ body: String) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw BenchError("the approve answered \(response.status)") }
    }
}
