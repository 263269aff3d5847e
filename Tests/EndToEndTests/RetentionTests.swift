import CausewayServer
import Detection
import Foundation
import Logging
import Storage
import Testing
import TestSupport
import TraceModel

/// DESIGN.md §10 on the test clock: old workflows age out whole, workflows with an open item are
/// kept, and a resolved item still shows its causal path and receipts after its spans are gone.
/// Each test runs on SQLite and, when `Tests/Postgres/run.sh` gives a server, on PostgreSQL.
@Suite("Retention, end to end")
struct RetentionTests {
    static let start: UInt64 = 1_800_000_000_000_000_000

    /// The store a test server keeps its data in.
    enum Store: String, CustomStringConvertible {
        case sqlite, postgres

        var description: String { rawValue }

        static var available: [Store] { ProcessInfo.processInfo.environment["CAUSEWAY_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres] }

        /// The PostgreSQL URL of a fresh database for a test, nil on SQLite (the test server's own file).
        func databaseURL() async throws -> String? {
            guard self == .postgres, let server = ProcessInfo.processInfo.environment["CAUSEWAY_TEST_POSTGRES_URL"] else { return nil }
            return try await PostgresStore.createDatabase("causeway_retention_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                                                          server: server, logger: Logger(label: "postgres-test"))
        }
    }

    static func configure(_ configuration: inout CausewayConfiguration, postgres: String?) {
        DecisionLoopTests.configure(&configuration)
        configuration.retentionNanos = 3600 * 1_000_000_000
        configuration.correlationAttributes = ["messaging.message.id"]
        configuration.postgresURL = postgres
    }

    /// A refund that ran without approval (one approval_required) in trace `trace`.
    static func refundWorkflow(_ trace: TraceID) -> TraceBatch {
        .stub(service: "refund-agent", spans: [
            Span.stub(trace: trace, span: .stub(1), name: "invoke_agent refunds", start: start),
            refundCall(trace, span: 2, callID: "call_\(trace.low)", start: start + 1_000_000),
        ])
    }

    /// A request trace with `failures` failed `crm.lookup` calls (spans 2, 3, …) and a job trace
    /// linked to it.
    static func crmWorkflow(request: TraceID, job: TraceID, failures: Int) -> TraceBatch {
        .stub(service: "crm-agent", spans: [Span.stub(trace: request, span: .stub(1), name: "POST /lookup", start: start)]
            + (0..<failures).map { crmFailure(request, UInt64($0 + 2), at: start + UInt64($0 + 1)) }
            + [Span.stub(trace: job, span: .stub(1), name: "follow-up job", kind: .consumer, start: start + 3,
                         links: [SpanLink(traceID: request, spanID: .stub(1))])])
    }

    /// A `crm.lookup` call under span 1 of `trace` that failed with a non-transient error.
    static func crmFailure(_ trace: TraceID, _ span: UInt64, at start: UInt64) -> Span {
        Span.stub(trace: trace, span: .stub(span), parent: .stub(1), name: "execute_tool crm.lookup", kind: .client, start: start,
                  attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("crm.lookup")),
                               Attribute("gen_ai.tool.call.id", .string("call_\(trace.low)_\(span)")),
                               Attribute("error.type", .string("CustomerNotFound"))],
                  status: SpanStatus(code: .error, message: "CustomerNotFound"))
    }

    /// A refund call, with no approval, under span 1 of `trace`.
    static func refundCall(_ trace: TraceID, span: UInt64, callID: String, start: UInt64) -> Span {
        Span.stub(trace: trace, span: .stub(span), parent: .stub(1), name: "execute_tool payments.issue_refund", kind: .client, start: start,
                  attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("payments.issue_refund")),
                               Attribute("gen_ai.tool.call.id", .string(callID))])
    }

    /// A test server on `store` (retention an hour) on a test clock at `start`, for `body`.
    static func withServer(on store: Store, _ body: (TestServer, TestClock) async throws -> Void) async throws {
        let clock = TestClock(now: start)
        let postgres = try await store.databaseURL()
        try await TestServer.with(configure: { configure(&$0, postgres: postgres) }, clock: clock) { server in try await body(server, clock) }
    }

    /// Whether `trace` answers 404 within 30 s (the sweeper runs on its own schedule, slower under
    /// a loaded machine). A sweeper still busy with the sweep an earlier advance woke sleeps from
    /// the new time on: a minute more of test time, each second, wakes it (newer spans stay young).
    static func agesOut(_ trace: TraceID, _ server: TestServer, _ clock: TestClock) async throws -> Bool {
        for attempt in 0..<1200 {
            if try await HTTP.trace(server, trace.hex).status == 404 { return true }
            if attempt % 40 == 39 { clock.advance(bySeconds: 60) }
            try await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    /// 50 minutes after `start`: when the tests' workflows get a span that keeps them alive.
    static let later = start + 3000 * 1_000_000_000

    /// Resolves item `id` through the API, as a reviewer.
    static func resolve(_ id: String, _ server: TestServer) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["action": "resolve", "note": "handled by hand"])
        #expect(try await HTTP.send(server.api + "/api/v1/exceptions/\(id)/actions", method: .POST,
                                    headers: [("Content-Type", "application/json")], body: Array(body)).status == 200)
    }

    /// Lets the workflow live on in `job` (a span at `later`) while `request` ages out (the
    /// closed items of the workflow have their story frozen).
    static func livesOnWhileRequestAges(request: TraceID, job: TraceID, service: String, _ server: TestServer, _ clock: TestClock) async throws {
        clock.advance(bySeconds: 3000)
        try await HTTP.export(server.otlpHTTP, .stub(service: service, spans: [
            Span.stub(trace: job, span: .stub(2), parent: .stub(1), name: "step", start: later),
        ]))
        clock.advance(bySeconds: 700)
        #expect(try await agesOut(request, server, clock), "the request trace aged out")
    }

    /// Resolves the one item of class `exceptionClass`, then ages `request` out while the
    /// workflow lives on in `job`; returns the item's id.
    static func resolveThenAge(_ exceptionClass: String, request: TraceID, job: TraceID, service: String,
                               _ server: TestServer, _ clock: TestClock) async throws -> String {
        let item = try #require(try await HTTP.exceptions(server.api).first { $0["class"] as? String == exceptionClass }?["id"] as? String)
        try await resolve(item, server)
        try await livesOnWhileRequestAges(request: request, job: job, service: service, server, clock)
        return item
    }

    @Test("after the retention: a quiet workflow is gone (404), one with an open item is kept whole, a resolved item keeps its story",
          arguments: Store.available)
    func agesOut(store: Store) async throws {
        try await Self.withServer(on: store) { server, clock in
            let resolvedTrace = TraceID.stub(0xE1), openTrace = TraceID.stub(0xE2), quietTrace = TraceID.stub(0xE3)
            try await HTTP.export(server.otlpHTTP, Self.refundWorkflow(resolvedTrace))
            try await HTTP.export(server.otlpHTTP, Self.refundWorkflow(openTrace))
            try await HTTP.export(server.otlpHTTP, .stub(service: "quiet", spans: [Span.stub(trace: quietTrace, span: .stub(1), start: Self.start)]))
            let items = try await HTTP.exceptions(server.api)
            let resolved = try #require(items.first { $0["trace_id"] as? String == resolvedTrace.hex }?["id"] as? String)
            let open = try #require(items.first { $0["trace_id"] as? String == openTrace.hex }?["id"] as? String)
            try await Self.resolve(resolved, server)
            let before = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(resolved)")

            clock.advance(bySeconds: 3600 + 61)
            var gone = false
            for _ in 0..<1200 {   // up to 30 s: the sweeper runs on its own schedule, slower under a loaded machine
                if try await HTTP.trace(server, quietTrace.hex).status == 404, try await HTTP.trace(server, resolvedTrace.hex).status == 404 {
                    gone = true
                    break
                }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(gone, "the quiet workflow and the resolved item's workflow aged out")
            #expect(try await HTTP.trace(server, openTrace.hex).status == 200, "a workflow with an open item is kept")
            let kept = try await HTTP.getJSON(server.api + "/api/v1/traces/\(openTrace.hex)")
            #expect((kept["spans"] as? [Any])?.count == 2)

            let after = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(resolved)")
            func hops(_ item: [String: Any]) -> [String] {
                ((item["causal_path"] as? [[String: Any]]) ?? []).compactMap { $0["span_id"] as? String }
            }
            func receipts(_ item: [String: Any]) -> [String] {
                ((item["tool_receipts"] as? [[String: Any]]) ?? []).compactMap { "\($0["tool"] ?? "")/\($0["call_id"] ?? "")" }
            }
            #expect(!hops(before).isEmpty)
            #expect(hops(after) == hops(before), "the causal path survives its spans")
            #expect(receipts(after) == receipts(before))
            #expect(after["workflow_id"] as? String == before["workflow_id"] as? String)
            #expect(try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(open)")["status"] as? String == "open")

            // A late span of an aged-out trace starts a new workflow (the writer forgot the old one),
            // and the kept workflow still takes spans.
            try await HTTP.export(server.otlpHTTP, .stub(service: "quiet", spans: [
                Span.stub(trace: quietTrace, span: .stub(9), start: Self.start + 3662 * 1_000_000_000),
                Span.stub(trace: openTrace, span: .stub(9), parent: .stub(1), start: Self.start + 3662 * 1_000_000_000),
            ]))
            let late = try await HTTP.getJSON(server.api + "/api/v1/traces/\(quietTrace.hex)")
            #expect((late["spans"] as? [[String: Any]])?.compactMap { $0["span_id"] as? String } == [SpanID.stub(9).hex])
            #expect((try await HTTP.getJSON(server.api + "/api/v1/traces/\(openTrace.hex)")["spans"] as? [Any])?.count == 3)
        }
    }

    /// A workflow that never goes quiet — here a job trace that keeps receiving, linked to an old
    /// request — loses its old traces one by one; a workflow with an open item keeps them all.
    @Test("a workflow that lives on loses its old traces (404), keeps its name, and takes a late span of one back",
          arguments: Store.available)
    func oldTracesOfALivingWorkflow(store: Store) async throws {
        try await Self.withServer(on: store) { server, clock in
            let request = TraceID.stub(0xF1), job = TraceID.stub(0xF2), refund = TraceID.stub(0xF3), follow = TraceID.stub(0xF4)
            try await HTTP.export(server.otlpHTTP, .stub(service: "scheduler", spans: [
                Span.stub(trace: request, span: .stub(1), name: "POST /jobs", start: Self.start,
                          attributes: [Attribute("messaging.message.id", .string("job-1"))]),   // the first to carry it
                Span.stub(trace: request, span: .stub(2), parent: .stub(1), name: "enqueue", kind: .producer, start: Self.start + 1),
                Span.stub(trace: job, span: .stub(1), name: "run job", kind: .consumer, start: Self.start + 2,
                          links: [SpanLink(traceID: request, spanID: .stub(2))]),
            ]))
            try await HTTP.export(server.otlpHTTP, Self.refundWorkflow(refund))   // an open approval_required
            let named = try await HTTP.getJSON(server.api + "/api/v1/traces/\(job.hex)")["workflow_id"] as? String
            #expect(named == "wf_" + request.hex)

            // 50 minutes on, both workflows get a new span (the job goes on; the refund's workflow too).
            clock.advance(bySeconds: 3000)
            let later = Self.later
            try await HTTP.export(server.otlpHTTP, .stub(service: "scheduler", spans: [
                Span.stub(trace: job, span: .stub(2), parent: .stub(1), name: "step", start: later),
                Span.stub(trace: follow, span: .stub(1), name: "follow up", kind: .consumer, start: later,
                          links: [SpanLink(traceID: refund, spanID: .stub(1))]),
            ]))
            // Past the retention for the first spans, not for the new ones.
            clock.advance(bySeconds: 700)
            #expect(try await Self.agesOut(request, server, clock), "the old request trace of the living workflow aged out")
            let living = try await HTTP.getJSON(server.api + "/api/v1/traces/\(job.hex)")
            #expect((living["spans"] as? [[String: Any]])?.compactMap { $0["trace_id"] as? String } == [job.hex, job.hex])
            #expect(living["workflow_id"] as? String == named, "the workflow keeps its name")
            #expect(try await HTTP.trace(server, refund.hex).status == 200, "a workflow with an open item keeps its old traces")
            #expect((try await HTTP.getJSON(server.api + "/api/v1/traces/\(refund.hex)")["spans"] as? [Any])?.count == 3)

            // A new trace carrying the aged trace's correlation value still joins its workflow.
            let another = TraceID.stub(0xF5)
            try await HTTP.export(server.otlpHTTP, .stub(service: "scheduler", spans: [
                Span.stub(trace: another, span: .stub(1), name: "retry job", start: later + 2,
                          attributes: [Attribute("messaging.message.id", .string("job-1"))]),
            ]))
            #expect(try await HTTP.getJSON(server.api + "/api/v1/traces/\(another.hex)")["workflow_id"] as? String == named)

            // A late span of the aged trace joins the workflow again.
            try await HTTP.export(server.otlpHTTP, .stub(service: "scheduler", spans: [
                Span.stub(trace: request, span: .stub(3), parent: .stub(1), name: "late", start: later + 1),
            ]))
            let back = try await HTTP.getJSON(server.api + "/api/v1/traces/\(request.hex)")
            #expect(back["workflow_id"] as? String == named)
            #expect((back["spans"] as? [Any])?.count == 4)
        }
    }

    /// A resolved item whose story was frozen when its trigger's trace aged out, in a workflow
    /// that lived on, and whose pattern then recurred there once: reopened (as with nothing aged),
    /// it shows the attempts frozen in and the one that reopened it, and its path still reaches its
    /// aged-out trigger.
    @Test("a recurrence after the old traces aged out reopens the item, which shows the frozen attempts and the new one",
          arguments: Store.available)
    func reopenedAfterFreeze(store: Store) async throws {
        try await Self.withServer(on: store) { server, clock in
            let request = TraceID.stub(0xD1), job = TraceID.stub(0xD2)
            try await HTTP.export(server.otlpHTTP, Self.crmWorkflow(request: request, job: job, failures: 2))
            let item = try await Self.resolveThenAge("repeat_failure", request: request, job: job, service: "crm-agent", server, clock)
            let later = Self.later

            // The same failure once more, in the job: it recurred (the aged attempts still count, as
            // they would have with nothing aged), so the item reopens.
            try await HTTP.export(server.otlpHTTP, .stub(service: "crm-agent", spans: [Self.crmFailure(job, 3, at: later + 1)]))
            let reopened = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(item)")
            #expect(reopened["status"] as? String == "open")
            #expect(reopened["occurrences"] as? Int == 2)
            let calls = ((reopened["tool_receipts"] as? [[String: Any]]) ?? []).compactMap { $0["call_id"] as? String }
            #expect(calls == ["call_\(request.low)_2", "call_\(request.low)_3", "call_\(job.low)_3"])
            let hops = ((reopened["causal_path"] as? [[String: Any]]) ?? []).compactMap { $0["trace_id"] as? String }
            #expect(hops.last == request.hex, "the path reaches the aged-out trigger")

            // Resolved again; the workflow lives on in a third trace while the job's trace ages out:
            // the new attempt is frozen in too.
            try await Self.resolve(item, server)
            clock.advance(bySeconds: 3000)
            try await HTTP.export(server.otlpHTTP, .stub(service: "crm-agent", spans: [
                Span.stub(trace: .stub(0xD3), span: .stub(1), name: "next job", kind: .consumer, start: later + 3000 * 1_000_000_000,
                          links: [SpanLink(traceID: job, spanID: .stub(1))]),
            ]))
            clock.advance(bySeconds: 1000)
            #expect(try await Self.agesOut(job, server, clock), "the job trace aged out")
            let refrozen = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(item)")
            #expect(((refrozen["tool_receipts"] as? [[String: Any]]) ?? []).compactMap { $0["call_id"] as? String } == calls)
        }
    }

    /// The same for a critical item counted from every call: a resolved approval_required whose
    /// calls aged out reopens when the tool runs unapproved again in the workflow that lived on.
    @Test("a tool run without an approval again after the old calls aged out reopens the resolved approval_required",
          arguments: Store.available)
    func approvalRecursAfterAging(store: Store) async throws {
        try await Self.withServer(on: store) { server, clock in
            let request = TraceID.stub(0xC1), job = TraceID.stub(0xC2)
            try await HTTP.export(server.otlpHTTP, Self.refundWorkflow(request))
            try await HTTP.export(server.otlpHTTP, .stub(service: "refund-agent", spans: [
                Span.stub(trace: job, span: .stub(1), name: "follow-up job", kind: .consumer, start: Self.start + 5,
                          links: [SpanLink(traceID: request, spanID: .stub(1))]),
                Self.refundCall(job, span: 4, callID: "call_in_job", start: Self.start + 6),   // a second one, kept: 2 occurrences
            ]))
            let item = try await Self.resolveThenAge("approval_required", request: request, job: job, service: "refund-agent", server, clock)
            let later = Self.later

            // The refund runs again, unapproved, in the job.
            try await HTTP.export(server.otlpHTTP, .stub(service: "refund-agent", spans: [
                Self.refundCall(job, span: 3, callID: "call_again", start: later + 1),
            ]))
            var status: String?
            for attempt in 0..<400 {   // judged at once, or once the workflow settles (the clock moves it on)
                status = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(item)")["status"] as? String
                if status == "open" { break }
                if attempt % 40 == 39 { clock.advance(bySeconds: 60) }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(status == "open", "the unapproved refund recurred")
            let reopened = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(item)")
            #expect(reopened["occurrences"] as? Int == 3, "one more than the two it had: only the kept one and the new one are read")
            #expect((reopened["history"] as? [[String: Any]])?.contains { $0["action"] as? String == "reopened" } == true)
        }
    }

    /// A pattern that completes only after its first occurrences aged out opens when it would
    /// have with nothing aged: the aged failure still counts, and the trigger is the kept one.
    @Test("a pattern completed after its first occurrence aged out opens at once, triggered by the kept occurrence",
          arguments: Store.available)
    func completesAfterAging(store: Store) async throws {
        try await Self.withServer(on: store) { server, clock in
            let request = TraceID.stub(0xB1), job = TraceID.stub(0xB2)
            try await HTTP.export(server.otlpHTTP, Self.crmWorkflow(request: request, job: job, failures: 1))
            #expect(try await HTTP.exceptions(server.api).isEmpty, "one failure: nothing yet")
            try await Self.livesOnWhileRequestAges(request: request, job: job, service: "crm-agent", server, clock)
            try await HTTP.export(server.otlpHTTP, .stub(service: "crm-agent", spans: [Self.crmFailure(job, 3, at: Self.later + 1)]))
            let items = try await HTTP.exceptions(server.api).filter { $0["class"] as? String == "repeat_failure" }
            #expect(items.count == 1, "the second failure of the workflow: a retry cannot fix it")
            #expect(items.first?["trace_id"] as? String == job.hex && items.first?["span_id"] as? String == SpanID.stub(3).hex)
        }
    }
}
