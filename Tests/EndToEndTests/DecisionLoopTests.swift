import CausewayServer
import Detection
import Foundation
import Storage
import TestSupport
import Testing
import TraceModel

/// The loop back to the agent (DESIGN.md §9): decisions, the long poll, approvals that count,
/// and SLA breach with escalation on the injected clock.
@Suite("Decisions and the loop back to the agent, end to end")
struct DecisionLoopTests {
    static let start: UInt64 = 1_800_000_000_000_000_000
    static let trace = TraceID.stub(0xD100)

    static func configure(_ configuration: inout CausewayConfiguration) {
        configuration.detection.approvalRequiredTools = ["payments.*"]
        configuration.owners = OwnerRouting(rules: [
            .init(exceptionClass: "approval_required", tool: "payments.*", owner: "finance-approvals", slaNanos: 15 * 60_000_000_000,
                  escalateTo: "finance-leads"),
        ])
    }

    /// A refund call in the agent's trace, `index` counting the calls.
    static func refund(_ index: UInt64, ran: Bool = true) -> Span {
        Span.stub(trace: trace, span: .stub(10 + index), parent: .stub(1), name: "execute_tool payments.issue_refund", kind: .client,
                  start: start + index * 1_000_000_000,
                  attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("payments.issue_refund")),
                               Attribute("gen_ai.tool.call.id", .string("call_\(index)"))],
                  status: ran ? SpanStatus(code: .ok) : SpanStatus(code: .error, message: "needs approval"))
    }

    static let root = Span.stub(trace: trace, span: .stub(1), name: "invoke_agent refunds", start: start)

    static func decisions(_ api: String, wait: String? = nil) async throws -> [String: Any] {
        try await HTTP.getJSON(api + "/api/v1/decisions?trace_id=\(trace.hex)" + (wait.map { "&wait=\($0)" } ?? ""))
    }

    @Test("an unapproved refund holds the agent; a reviewer's approve answers a waiting long poll with proceed, and the next refund opens nothing")
    func approveProceeds() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            #expect(try await Self.decisions(server.api)["decision"] as? String == "proceed")   // nothing stored yet
            try await HTTP.export(server.otlpHTTP, .stub(service: "refund-agent", spans: [Self.root, Self.refund(1, ran: false)]))
            let held = try await Self.decisions(server.api)
            #expect(held["decision"] as? String == "hold")
            #expect(held["workflow_id"] as? String == "wf_" + Self.trace.hex)
            let blocking = try #require((held["blocking"] as? [[String: Any]])?.first)
            #expect(blocking["class"] as? String == "approval_required")
            #expect(blocking["tool"] as? String == "payments.issue_refund")
            #expect((blocking["next_decision"] as? String)?.hasPrefix("Approve or deny payments.issue_refund (call call_1)") == true)
            let id = try #require(blocking["id"] as? String)
            let exception = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")
            #expect(exception["decision"] is NSNull)
            #expect(exception["call_id"] as? String == "call_1")

            // The agent waits; a reviewer approves; the wait ends with proceed well within the second.
            let api = server.api
            let waiting = Task { () -> (verdict: String?, made: [String?], waited: Duration) in
                let asked = ContinuousClock.now
                let answer = try await Self.decisions(api, wait: "30s")
                let made = (answer["decisions"] as? [[String: Any]])?.first
                return (answer["decision"] as? String, ["decision", "by", "call_id"].map { made?[$0] as? String }, ContinuousClock.now - asked)
            }
            try await Task.sleep(for: .milliseconds(300))
            let approvedAt = ContinuousClock.now
            #expect(try await HTTP.act(server.api, id, ["action": "approve", "actor": "maria", "note": "refund ok"]).status == 200)
            let (verdict, made, waited) = try await waiting.value
            #expect(verdict == "proceed")
            #expect(waited >= .milliseconds(300))   // it did wait for the decision
            #expect(ContinuousClock.now - approvedAt < .seconds(1))
            #expect(made == ["approve", "maria", "call_1"])
            let decided = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")
            #expect(decided["decision"] as? String == "approve")
            #expect(decided["status"] as? String == "resolved")
            #expect((decided["history"] as? [[String: Any]])?.last?["action"] as? String == "approved")

            // The call runs now, and a later one of the same tool: nothing new opens.
            try await HTTP.export(server.otlpHTTP, .stub(service: "refund-agent", spans: [Self.refund(2), Self.refund(3)]))
            let all = try await HTTP.exceptions(server.api, "?status=open")
            #expect(all.isEmpty)
            #expect(try await Self.decisions(server.api)["decision"] as? String == "proceed")
            // approve and deny are for approval_required items only: nothing else to approve here.
            #expect(try await HTTP.act(server.api, id, ["action": "approve"]).status == 400)
        }
    }

    @Test("a deny tells the agent to stop, and it stays stop")
    func denyStops() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            try await HTTP.export(server.otlpHTTP, .stub(service: "refund-agent", spans: [Self.root, Self.refund(1, ran: false)]))
            let id = try #require(try await HTTP.exceptions(server.api).first?["id"] as? String)
            #expect(try await HTTP.act(server.api, id, ["action": "deny", "actor": "maria"]).status == 200)
            let answer = try await Self.decisions(server.api, wait: "1s")
            #expect(answer["decision"] as? String == "stop")
            #expect((answer["blocking"] as? [Any])?.isEmpty == true)
            // Reopened by a reviewer, the item waits again, but the deny still stands.
            #expect(try await HTTP.act(server.api, id, ["action": "reopen", "actor": "maria"]).status == 200)
            #expect(try await Self.decisions(server.api)["decision"] as? String == "stop")
            #expect(try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")["decision"] is NSNull)
        }
    }

    @Test("a repeat_failure holds the agent until a reviewer says retry or abort; wrong input is a 400")
    func retryOrAbort() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            let failed = { (index: UInt64) in
                Span.stub(trace: Self.trace, span: .stub(20 + index), parent: .stub(1), name: "execute_tool vendor.lookup", start: Self.start + index * 1_000_000_000,
                          attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("vendor.lookup")),
                                       Attribute("error.type", .string("VendorNotFound"))],
                          status: SpanStatus(code: .error, message: "no such vendor"))
            }
            try await HTTP.export(server.otlpHTTP, .stub(service: "ap-agent", spans: [Self.root, failed(1)]))
            #expect(try await Self.decisions(server.api)["decision"] as? String == "proceed")   // once is not yet a pattern
            try await HTTP.export(server.otlpHTTP, .stub(service: "ap-agent", spans: [failed(2)]))
            let held = try await Self.decisions(server.api)
            #expect(held["decision"] as? String == "hold")
            let id = try #require((held["blocking"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await HTTP.act(server.api, id, ["action": "approve"]).status == 400)
            #expect(try await HTTP.act(server.api, id, ["action": "retry", "actor": "sam"]).status == 200)
            #expect(try await Self.decisions(server.api)["decision"] as? String == "proceed")
            #expect(try await HTTP.send(server.api + "/api/v1/decisions?trace_id=xyz", method: .GET).status == 400)
            #expect(try await HTTP.send(server.api + "/api/v1/decisions?trace_id=\(Self.trace.hex)&wait=2m", method: .GET).status == 400)
            #expect(try await HTTP.send(server.api + "/api/v1/decisions", method: .GET).status == 400)
        }
    }

    @Test("the SLA passing on the test clock marks the item breached and hands it to escalate_to, once")
    func breachEscalates() async throws {
        let clock = TestClock(now: Self.start)
        try await TestServer.with(configure: Self.configure, clock: clock) { server in
            try await HTTP.export(server.otlpHTTP, .stub(service: "refund-agent", spans: [Self.root, Self.refund(1)]))
            let id = try #require(try await HTTP.exceptions(server.api).first?["id"] as? String)
            func history() async throws -> [String] {
                ((try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")["history"] as? [[String: Any]]) ?? []).compactMap { $0["action"] as? String }
            }
            clock.advance(bySeconds: 14 * 60)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await history() == ["opened"])
            clock.advance(bySeconds: 61)
            var actions: [String] = []
            for _ in 0..<200 {
                actions = try await history()
                if actions.count >= 3 { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(actions == ["opened", "breached", "escalated"])
            let exception = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")
            #expect(exception["owner"] as? String == "finance-leads")
            #expect((exception["sla"] as? [String: Any])?["breached"] as? Bool == true)
            clock.advance(bySeconds: 3600)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await history() == ["opened", "breached", "escalated"])
        }
    }
}
