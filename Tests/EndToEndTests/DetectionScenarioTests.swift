import CausewayServer
import Detection
import Foundation
import Storage
import TestSupport
import Testing
import TraceModel

/// Polls the queue until `count` exceptions are listed (the settle pass runs on its own task
/// once the test clock moves); fails after 10 s.
func waitForExceptions(_ api: String, _ query: String = "", count: Int) async throws -> [[String: Any]] {
    for _ in 0..<200 {
        let listed = try await HTTP.exceptions(api, query)
        if listed.count >= count { return listed }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await HTTP.exceptions(api, query)
}

@Suite("Detection scenarios, end to end")
struct DetectionScenarioTests {
    static let start: UInt64 = 1_800_000_000_000_000_000

    static func configure(_ configuration: inout CausewayConfiguration) {
        configuration.detection.approvalRequiredTools = ["payments.*"]
        configuration.owners = OwnerRouting(rules: [
            .init(exceptionClass: "approval_required", tool: "payments.*", owner: "finance-approvals", slaNanos: 15 * 60_000_000_000),
        ])
    }

    /// The request enqueues a refund job; the job (its own trace, linked to the enqueue span) calls the refund tool.
    static func refundWorkflow(approvedOnRequest: Bool) -> (request: [Span], job: [Span]) {
        let request = TraceID.stub(0xA100), job = TraceID.stub(0xA200)
        let events = approvedOnRequest
            ? [SpanEvent(timeUnixNano: start + 1_000_000_000, name: "approval.granted", attributes: [Attribute("approval.approver", .string("maria"))])]
            : []
        return (
            [
                Span.stub(trace: request, span: .stub(1), name: "POST /refunds", kind: .server, start: start, durationNanos: 3_000_000_000, events: events),
                Span.stub(trace: request, span: .stub(2), parent: .stub(1), name: "enqueue refund", kind: .producer, start: start + 2_000_000_000),
            ],
            [
                Span.stub(trace: job, span: .stub(10), name: "refund job", kind: .consumer, start: start + 10_000_000_000,
                          links: [SpanLink(traceID: request, spanID: .stub(2))]),
                Span.stub(trace: job, span: .stub(11), parent: .stub(10), name: "execute_tool payments.issue_refund", kind: .client,
                          start: start + 11_000_000_000,
                          attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")),
                                       Attribute("gen_ai.tool.name", .string("payments.issue_refund")),
                                       Attribute("gen_ai.tool.call.id", .string("call_r1"))]),
            ]
        )
    }

    @Test("a refund in a background job without approval: critical, routed to finance, its path starting at the original request",
          arguments: [false, true])
    func refundWithoutApproval(jobFirst: Bool) async throws {
        try await TestServer.with(configure: Self.configure) { server in
            let workflow = Self.refundWorkflow(approvedOnRequest: false)
            let halves = jobFirst ? [workflow.job, workflow.request] : [workflow.request, workflow.job]
            for half in halves { try await HTTP.export(server.otlpHTTP, .stub(service: half == workflow.job ? "refund-worker" : "api", spans: half)) }
            let listed = try await HTTP.exceptions(server.api)
            #expect(listed.count == 1)
            let id = try #require(listed.first?["id"] as? String)
            let exception = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")
            #expect(exception["class"] as? String == "approval_required")
            #expect(exception["severity"] as? String == "critical")
            #expect(exception["category"] as? String == "policy")
            #expect(exception["owner"] as? String == "finance-approvals")
            #expect(exception["summary"] as? String == "payments.issue_refund ran without an approval")
            let path = (exception["causal_path"] as? [[String: Any]]) ?? []
            #expect(path.first?["name"] as? String == "POST /refunds")
            #expect(path.map { $0["relation"] as? String ?? "" } == ["origin", "child_of", "linked_from", "child_of"])
            let receipts = (exception["tool_receipts"] as? [[String: Any]]) ?? []
            #expect(receipts.map { $0["call_id"] as? String } == ["call_r1"])
        }
    }

    @Test("an approved refund opens nothing, even when the approval (on the request) arrives after the job")
    func approvedRefund() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            let workflow = Self.refundWorkflow(approvedOnRequest: true)
            try await HTTP.export(server.otlpHTTP, .stub(service: "refund-worker", spans: workflow.job))
            try await HTTP.export(server.otlpHTTP, .stub(service: "api", spans: workflow.request))
            #expect(try await HTTP.exceptions(server.api).isEmpty)
        }
    }

    @Test("unresolved_failure waits for the workflow to go quiet on the injected clock, and a later success prevents it")
    func unresolvedAfterSettle() async throws {
        let clock = TestClock()
        try await TestServer.with(configure: { $0.detection.settleAfterNanos = 30_000_000_000 }, clock: clock) { server in
            let failing = Span.stub(trace: .stub(0xB100), span: .stub(1), name: "charge card", start: Self.start,
                                    events: [SpanEvent(timeUnixNano: Self.start + 1, name: "exception", attributes: [Attribute("exception.type", .string("CardDeclined"))])],
                                    status: SpanStatus(code: .error, message: "card declined"))
            try await HTTP.export(server.otlpHTTP, .stub(service: "billing", spans: [failing]))
            let recovering = Span.stub(trace: .stub(0xB200), span: .stub(1), name: "charge card", start: Self.start,
                                       events: [SpanEvent(timeUnixNano: Self.start + 1, name: "exception")], status: SpanStatus(code: .error))
            let retried = Span.stub(trace: .stub(0xB200), span: .stub(2), name: "charge card", start: Self.start + 5_000_000_000, status: SpanStatus(code: .ok))
            try await HTTP.export(server.otlpHTTP, .stub(service: "billing", spans: [recovering, retried]))
            clock.advance(bySeconds: 20)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await HTTP.exceptions(server.api).isEmpty)   // not quiet long enough yet
            clock.advance(bySeconds: 15)
            let listed = try await waitForExceptions(server.api, count: 1)
            #expect(listed.count == 1)
            #expect(listed.first?["class"] as? String == "unresolved_failure")
            #expect(listed.first?["trace_id"] as? String == TraceID.stub(0xB100).hex)
            #expect((listed.first?["summary"] as? String)?.contains("charge card failed with CardDeclined") == true)
        }
    }

    @Test("the SLA is breached once the test clock passes the due time; resolving in time is not a breach")
    func slaBreach() async throws {
        let clock = TestClock()
        try await TestServer.with(configure: Self.configure, clock: clock) { server in
            let workflow = Self.refundWorkflow(approvedOnRequest: false)
            try await HTTP.export(server.otlpHTTP, .stub(service: "api", spans: workflow.request + workflow.job))
            let id = try #require(try await HTTP.exceptions(server.api).first?["id"] as? String)
            func sla() async throws -> [String: Any] { (try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")["sla"] as? [String: Any]) ?? [:] }
            #expect(try await sla()["breached"] as? Bool == false)
            #expect(try await sla()["due_at"] as? String == RFC3339.format(unixNano: clock.now() + 15 * 60_000_000_000))
            clock.advance(bySeconds: 14 * 60)
            #expect(try await sla()["breached"] as? Bool == false)
            clock.advance(bySeconds: 2 * 60)
            #expect(try await sla()["breached"] as? Bool == true)
            #expect(try await HTTP.act(server.api, id, ["action": "resolve", "actor": "maria"]).status == 200)
            #expect(try await sla()["breached"] as? Bool == true)   // resolved after the due time
        }
    }
}
