import Foundation
import OTLP
import TestSupport
import Testing
import TraceModel

/// What a workflow answer says, reduced to what must not depend on arrival order.
struct WorkflowSummary: Equatable, CustomStringConvertible {
    var workflowID: String
    var traces: [String]
    var spans: [String]
    var edges: [String]
    var causes: [String]
    var placeholders: [String]

    init(_ json: [String: Any]) {
        func ref(_ value: Any?) -> String {
            let object = value as? [String: Any]
            return "\(object?["trace_id"] as? String ?? "?")/\(object?["span_id"] as? String ?? "?")"
        }
        workflowID = json["workflow_id"] as? String ?? ""
        traces = ((json["traces"] as? [[String: Any]]) ?? []).map { "\($0["trace_id"] ?? "") spans=\($0["span_count"] ?? "")" }.sorted()
        let spanObjects = (json["spans"] as? [[String: Any]]) ?? []
        spans = spanObjects.map { ref($0) }.sorted()
        causes = spanObjects.map { span in
            let cause = span["cause"] as? [String: Any]
            return "\(ref(span)) <- \(cause.map { "\($0["relation"] ?? "") \(ref($0))" } ?? "origin")"
        }.sorted()
        edges = ((json["edges"] as? [[String: Any]]) ?? []).map { "\($0["type"] ?? "") \(ref($0["from"])) -> \(ref($0["to"]))" }.sorted()
        placeholders = ((json["placeholders"] as? [[String: Any]]) ?? []).map { ref($0) }.sorted()
    }

    var description: String { "\(workflowID) traces=\(traces) spans=\(spans.count) edges=\(edges) causes=\(causes) placeholders=\(placeholders)" }
}

extension HTTP {
    static func export(_ otlpHTTP: String, _ batch: TraceBatch) async throws {
        let reply = try await send(otlpHTTP + "/v1/traces", headers: [("Content-Type", "application/x-protobuf")],
                                   body: batch.protobufExportRequest())
        guard reply.status == 200 else { throw TestServerError("export answered \(reply.status): \(reply.text)") }
    }

    static func getJSON(_ url: String) async throws -> [String: Any] {
        let reply = try await send(url, method: .GET)
        guard reply.status == 200 else { throw TestServerError("GET \(url) answered \(reply.status): \(reply.text)") }
        return try reply.json()
    }

    static func workflow(_ api: String, _ trace: TraceID) async throws -> [String: Any] {
        try await getJSON(api + "/api/v1/traces/\(trace.hex)")
    }

    static func path(_ api: String, _ trace: TraceID, _ span: SpanID) async throws -> [String: Any] {
        try await getJSON(api + "/api/v1/spans/\(trace.hex)/\(span.hex)/path")
    }
}

/// The hops of a path answer as "trace/span relation".
func hops(_ json: [String: Any]) -> [String] {
    ((json["causal_path"] as? [[String: Any]]) ?? []).map { "\($0["trace_id"] ?? "")/\($0["span_id"] ?? "") \($0["relation"] ?? "")" }
}

@Suite("Workflows across traces, end to end")
struct WorkflowTests {
    static let fixtureTraces = [WorkflowFixture.request, WorkflowFixture.worker, WorkflowFixture.retry, WorkflowFixture.batch]

    /// Producer `index` of a batch; later indexes start earlier.
    static func producer(_ index: Int) -> Span {
        let start: UInt64 = 1_700_000_000_000_000_000 + UInt64(10 - index) * 1_000_000
        return Span.stub(trace: .stub(UInt64(0x500 + index)), span: .stub(UInt64(index)), name: "publish \(index)", kind: .producer, start: start)
    }

    /// Attempt `number` of a failing pickup, as its own trace linked to the attempt before.
    static func attempt(_ number: Int) -> Span {
        let n = UInt64(number)
        let links: [SpanLink] = number == 1 ? [] : [SpanLink(traceID: .stub(0x600 + n - 1), spanID: .stub(n - 1))]
        let start: UInt64 = 1_700_000_000_000_000_000 + n * 60_000_000_000
        return Span.stub(trace: .stub(0x600 + n), span: .stub(n), name: "courier.pickup attempt \(number)", start: start,
                         links: links, status: SpanStatus(code: .error, message: "address not found"))
    }

    /// Member `index` of a three-trace link cycle: each root links to the next.
    static func cycleMember(_ index: Int) -> Span {
        let next = UInt64((index + 1) % 3)
        let link = SpanLink(traceID: .stub(0x700 + next), spanID: .stub(next + 1))
        return Span.stub(trace: .stub(0x700 + UInt64(index)), span: .stub(UInt64(index + 1)), links: [link])
    }

    @Test("every arrival order gives the same workflow and the same causal paths", arguments: WorkflowFixture.ArrivalOrder.allCases)
    func arrivalOrders(order: WorkflowFixture.ArrivalOrder) async throws {
        try await TestServer.with { server in
            for request in WorkflowFixture.requests(in: order) {
                try await HTTP.export(server.otlpHTTP, request)
            }
            // Whichever trace is asked for, the answer is the whole workflow.
            var summaries: [WorkflowSummary] = []
            for trace in Self.fixtureTraces {
                summaries.append(WorkflowSummary(try await HTTP.workflow(server.api, trace)))
            }
            let summary = try #require(summaries.first)
            #expect(summaries.allSatisfy { $0 == summary })
            #expect(summary.workflowID == "wf_" + WorkflowFixture.request.hex)
            #expect(summary.traces.count == 4)
            #expect(summary.spans.count == WorkflowFixture.spans.count)
            #expect(summary.placeholders.isEmpty)
            #expect(summary.edges.filter { $0.hasPrefix("link ") }.count == 4)
            #expect(summary.edges.filter { $0.hasPrefix("parent ") }.count == 4)
            // The fan-in root follows the earlier producer (the request's enqueue span).
            #expect(summary.causes.contains("\(WorkflowFixture.batch.hex)/\(SpanID.stub(0x41).hex) <- linked_from \(WorkflowFixture.request.hex)/\(SpanID.stub(0x12).hex)"))

            let path = try await HTTP.path(server.api, WorkflowFixture.retry, .stub(0x32))
            #expect(hops(path) == WorkflowFixture.retryToolCallPath.map { "\($0.0.hex)/\($0.1.hex) \($0.2)" })
            #expect(path["workflow_id"] as? String == summary.workflowID)
            let hop = try #require((path["causal_path"] as? [[String: Any]])?.first)
            #expect(hop["name"] as? String == "POST /refunds")
            #expect(hop["service"] as? String == "api")
            #expect(hop["kind"] as? String == "server")
            #expect(hop["parent_span_id"] is NSNull)
        }
    }

    @Test("a batch consumer linked to 5 producer traces: one workflow, the earliest producer on the path, backlinks on each producer")
    func batchFanIn() async throws {
        try await TestServer.with { server in
            let producers: [Span] = (1...5).map(Self.producer)
            let consumer = Span.stub(trace: .stub(0x5FF), span: .stub(0xFF), name: "consume batch", kind: .consumer,
                                     start: 1_700_000_100_000_000_000, links: producers.map { SpanLink(traceID: $0.traceID, spanID: $0.spanID) })
            try await HTTP.export(server.otlpHTTP, .stub(service: "consumer", spans: [consumer]))
            for producer in producers { try await HTTP.export(server.otlpHTTP, .stub(service: "producer", spans: [producer])) }

            let workflow = WorkflowSummary(try await HTTP.workflow(server.api, producers[2].traceID))
            #expect(workflow.traces.count == 6)
            #expect(workflow.edges.filter { $0.hasPrefix("link ") }.count == 5)
            let path = try await HTTP.path(server.api, consumer.traceID, consumer.spanID)
            #expect(hops(path) == ["\(producers[4].traceID.hex)/\(producers[4].spanID.hex) origin", "\(consumer.traceID.hex)/\(consumer.spanID.hex) linked_from"])
            let last = try #require((path["causal_path"] as? [[String: Any]])?.last)
            #expect((last["alternatives"] as? [Any])?.count == 4)
            for producer in producers {
                let producerPath = try await HTTP.path(server.api, producer.traceID, producer.spanID)
                let linkedBy = producerPath["linked_by"] as? [[String: String]]
                #expect(linkedBy == [["trace_id": consumer.traceID.hex, "span_id": consumer.spanID.hex]])
            }
        }
    }

    @Test("retries as new traces, each linked to the attempt before, form one workflow")
    func retries() async throws {
        try await TestServer.with { server in
            let attempts: [Span] = (1...3).map(Self.attempt)
            for attempt in attempts.reversed() { try await HTTP.export(server.otlpHTTP, .stub(spans: [attempt])) }
            let path = try await HTTP.path(server.api, attempts[2].traceID, attempts[2].spanID)
            #expect(hops(path) == [
                "\(attempts[0].traceID.hex)/\(attempts[0].spanID.hex) origin",
                "\(attempts[1].traceID.hex)/\(attempts[1].spanID.hex) linked_from",
                "\(attempts[2].traceID.hex)/\(attempts[2].spanID.hex) linked_from",
            ])
            #expect(WorkflowSummary(try await HTTP.workflow(server.api, attempts[0].traceID)).traces.count == 3)
        }
    }

    @Test("a link cycle in the data answers at once, with the cut marked")
    func linkCycle() async throws {
        try await TestServer.with { server in
            let spans: [Span] = (0..<3).map(Self.cycleMember)
            try await HTTP.export(server.otlpHTTP, .stub(spans: spans))
            let path = try await HTTP.path(server.api, spans[0].traceID, spans[0].spanID)
            #expect(path["cycle_cut"] as? Bool == true)
            #expect(hops(path).count == 3)
            let workflow = WorkflowSummary(try await HTTP.workflow(server.api, spans[1].traceID))
            #expect(workflow.traces.count == 3)
            #expect(workflow.edges.count == 3)
        }
    }

    @Test("a link to a span that never arrives leaves a placeholder, not an error")
    func danglingLink() async throws {
        try await TestServer.with { server in
            let consumer = Span.stub(trace: .stub(0x801), span: .stub(1), links: [SpanLink(traceID: .stub(0x802), spanID: .stub(2))])
            try await HTTP.export(server.otlpHTTP, .stub(spans: [consumer]))
            let json = try await HTTP.workflow(server.api, consumer.traceID)
            let workflow = WorkflowSummary(json)
            #expect(workflow.placeholders == ["\(TraceID.stub(0x802).hex)/\(SpanID.stub(2).hex)"])
            #expect(workflow.traces == ["\(TraceID.stub(0x801).hex) spans=1", "\(TraceID.stub(0x802).hex) spans=0"])
            let path = try await HTTP.path(server.api, consumer.traceID, consumer.spanID)
            let first = try #require((path["causal_path"] as? [[String: Any]])?.first)
            #expect(first["placeholder"] as? Bool == true)
            #expect(first["relation"] as? String == "origin")
            // The linked trace is known from the link: asking for it gives the same workflow.
            #expect(WorkflowSummary(try await HTTP.workflow(server.api, .stub(0x802))) == workflow)
        }
    }

    @Test("ids are validated and unknown ones are 404")
    func errors() async throws {
        try await TestServer.with { server in
            try await HTTP.export(server.otlpHTTP, .stub(spans: [.stub(trace: .stub(0x901))]))
            let base = server.api + "/api/v1/spans/"
            #expect(try await HTTP.send(base + "\(TraceID.stub(0x901).hex)/xyz/path", method: .GET).status == 400)
            #expect(try await HTTP.send(base + "nothex/\(SpanID.stub(1).hex)/path", method: .GET).status == 400)
            #expect(try await HTTP.send(base + "\(TraceID.stub(0x901).hex)/\(SpanID.stub(9).hex)/path", method: .GET).status == 404)
            #expect(try await HTTP.send(base + "\(TraceID.stub(0x901).hex)/\(SpanID.stub(1).hex)/path", method: .GET).status == 200)
            let unknown = try await HTTP.send(server.api + "/api/v1/traces/\(TraceID.stub(0x999).hex)", method: .GET)
            #expect(unknown.status == 404)
            #expect((try unknown.json()["error"] as? [String: Any])?["code"] as? String == "not_found")
        }
    }

    @Test("a restart between the two halves of a workflow joins them")
    func restartBetweenHalves() async throws {
        let database = temporaryDatabasePath()
        let requests = WorkflowFixture.requests(in: .consumerFirst)
        try await TestServer.with(databasePath: database) { server in
            for request in requests.prefix(4) { try await HTTP.export(server.otlpHTTP, request) }
        }
        try await TestServer.with(databasePath: database) { server in
            for request in requests.dropFirst(4) { try await HTTP.export(server.otlpHTTP, request) }
            let summary = WorkflowSummary(try await HTTP.workflow(server.api, WorkflowFixture.batch))
            #expect(summary.traces.count == 4)
            #expect(summary.spans.count == WorkflowFixture.spans.count)
            #expect(summary.placeholders.isEmpty)
            let path = try await HTTP.path(server.api, WorkflowFixture.retry, .stub(0x32))
            #expect(hops(path) == WorkflowFixture.retryToolCallPath.map { "\($0.0.hex)/\($0.1.hex) \($0.2)" })
        }
    }
}
