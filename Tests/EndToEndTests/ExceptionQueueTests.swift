import CausewayServer
import Detection
import Foundation
import OTLP
import TestSupport
import Testing
import TraceModel

/// A failing courier pickup: the request trace calls the tool, and a retry trace, linked to the
/// first call, calls it again with the same non-transient failure.
enum CourierPickup {
    static let request = TraceID.stub(0xC001)
    static let retry = TraceID.stub(0xC002)
    static let t0: UInt64 = 1_700_000_000_000_000_000

    static func tool(_ trace: TraceID, span: UInt64, parent: UInt64?, start: UInt64, error: String?, links: [SpanLink] = []) -> Span {
        var attributes = [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("courier.pickup")),
                          Attribute("gen_ai.tool.call.id", .string("call_\(span)"))]
        if let error { attributes.append(Attribute("error.type", .string(error))) }
        return Span.stub(trace: trace, span: .stub(span), parent: parent.map { .stub($0) }, name: "execute_tool courier.pickup",
                         kind: .client, start: t0 + start * 1_000_000_000, attributes: attributes, links: links,
                         status: error == nil ? SpanStatus(code: .ok) : SpanStatus(code: .error, message: error!))
    }

    static var first: [Span] {
        [
            Span.stub(trace: request, span: .stub(1), name: "POST /pickups", kind: .server, start: t0, durationNanos: 5_000_000_000),
            tool(request, span: 2, parent: 1, start: 1, error: "address_not_found"),
        ]
    }

    static var second: [Span] {
        [
            Span.stub(trace: retry, span: .stub(11), name: "retry pickup", kind: .consumer, start: t0 + 60_000_000_000,
                      links: [SpanLink(traceID: request, spanID: .stub(2))]),
            tool(retry, span: 12, parent: 11, start: 61, error: "address_not_found"),
        ]
    }
}

extension HTTP {
    static func exceptions(_ api: String, _ query: String = "") async throws -> [[String: Any]] {
        (try await getJSON(api + "/api/v1/exceptions" + query)["exceptions"] as? [[String: Any]]) ?? []
    }

    static func act(_ api: String, _ id: String, _ body: [String: String]) async throws -> HTTPReply {
        try await send(api + "/api/v1/exceptions/\(id)/actions", headers: [("Content-Type", "application/json")],
                       body: Array(try JSONSerialization.data(withJSONObject: body)))
    }
}

@Suite("The exception queue, end to end")
struct ExceptionQueueTests {
    static func configure(_ configuration: inout CausewayConfiguration) {
        configuration.owners = OwnerRouting(rules: [
            .init(exceptionClass: "repeat_failure", tool: "courier.*", owner: "logistics-ops", slaNanos: 4 * 3_600_000_000_000),
        ])
    }

    @Test("a pickup failing twice for the same reason, the second time in a retry trace, opens one repeat_failure with the whole story")
    func repeatFailureAcrossTraces() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first))
            #expect(try await HTTP.exceptions(server.api).isEmpty)
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.second))
            let listed = try await HTTP.exceptions(server.api)
            #expect(listed.count == 1)
            let id = try #require(listed.first?["id"] as? String)
            let exception = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")
            #expect(exception["class"] as? String == "repeat_failure")
            #expect(exception["category"] as? String == "business_rule")
            #expect(exception["severity"] as? String == "high")
            #expect(exception["status"] as? String == "open")
            #expect(exception["owner"] as? String == "logistics-ops")
            #expect(exception["occurrences"] as? Int == 1)
            #expect(exception["trace_id"] as? String == CourierPickup.retry.hex)
            #expect(exception["span_id"] as? String == SpanID.stub(12).hex)
            #expect(exception["workflow_id"] as? String == "wf_" + CourierPickup.request.hex)
            #expect((exception["summary"] as? String)?.contains("courier.pickup failed 2 times with address_not_found") == true)
            let sla = try #require(exception["sla"] as? [String: Any])
            #expect(sla["breached"] as? Bool == false)
            let opened = try #require(RFC3339.parse(exception["opened_at"] as? String ?? ""))
            #expect(RFC3339.parse(sla["due_at"] as? String ?? "") == opened + 4 * 3_600_000_000_000)
            // The causal path starts at the original request and crosses the link.
            let path = (exception["causal_path"] as? [[String: Any]]) ?? []
            #expect(path.map { $0["name"] as? String ?? "" } == ["POST /pickups", "execute_tool courier.pickup", "retry pickup", "execute_tool courier.pickup"])
            #expect(path.map { $0["relation"] as? String ?? "" } == ["origin", "child_of", "linked_from", "child_of"])
            let receipts = (exception["tool_receipts"] as? [[String: Any]]) ?? []
            #expect(receipts.map { $0["call_id"] as? String ?? "" } == ["call_2", "call_12"])
            #expect(receipts.allSatisfy { $0["status"] as? String == "error" && $0["error_type"] as? String == "address_not_found" })
            let history = (exception["history"] as? [[String: Any]]) ?? []
            #expect(history.map { $0["action"] as? String ?? "" } == ["opened"])
        }
    }

    @Test("re-delivery and a restart open nothing twice: the same detection keeps its id")
    func idempotent() async throws {
        let database = temporaryDatabasePath()
        let id = try await TestServer.with(databasePath: database, configure: Self.configure) { server in
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first + CourierPickup.second))
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.second))
            let listed = try await HTTP.exceptions(server.api)
            #expect(listed.count == 1)
            return try #require(listed.first?["id"] as? String)
        }
        try await TestServer.with(databasePath: database, configure: Self.configure) { server in
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first + CourierPickup.second))
            let listed = try await HTTP.exceptions(server.api)
            #expect(listed.map { $0["id"] as? String } == [id])
            #expect(listed.first?["occurrences"] as? Int == 1)
        }
        // In another order, on a fresh database, the same detection has the same id.
        try await TestServer.with(configure: Self.configure) { server in
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.second))
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first))
            #expect(try await HTTP.exceptions(server.api).map { $0["id"] as? String } == [id])
        }
    }

    @Test("failures counted in two workflows add up when a late link merges them")
    func countsFollowMerges() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            // The retry's failing call arrives before the retry's root (which holds the link).
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: [CourierPickup.second[1]]))
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first))
            #expect(try await HTTP.exceptions(server.api).isEmpty)
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: [CourierPickup.second[0]]))
            let listed = try await HTTP.exceptions(server.api)
            #expect(listed.count == 1)
            #expect(listed.first?["occurrences"] as? Int == 1)
            #expect(listed.first?["span_id"] as? String == SpanID.stub(12).hex)
        }
    }

    @Test("the causal path shown is the path as it is now: a late origin appears")
    func lateOrigin() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            // Both failures, but not the request's root span.
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: [CourierPickup.first[1]] + CourierPickup.second))
            let id = try #require(try await HTTP.exceptions(server.api).first?["id"] as? String)
            func path() async throws -> [[String: Any]] {
                (try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")["causal_path"] as? [[String: Any]]) ?? []
            }
            let before = try await path()
            #expect(before.first?["placeholder"] as? Bool == true)
            #expect(before.first?["span_id"] as? String == SpanID.stub(1).hex)
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: [CourierPickup.first[0]]))
            let after = try await path()
            #expect(after.first?["placeholder"] as? Bool == false)
            #expect(after.first?["name"] as? String == "POST /pickups")
            #expect(after.count == before.count)
        }
    }

    @Test("failures that recover within their bounds open nothing")
    func recovered() async throws {
        try await TestServer.with { server in
            let timeouts = (1...2).map { CourierPickup.tool(.stub(0xD001), span: UInt64(10 + $0), parent: nil, start: UInt64($0), error: "timeout") }
            let success = CourierPickup.tool(.stub(0xD001), span: 13, parent: nil, start: 3, error: nil)
            try await HTTP.export(server.otlpHTTP, .stub(spans: timeouts + [success]))
            let once = CourierPickup.tool(.stub(0xD002), span: 21, parent: nil, start: 1, error: "address_not_found")
            try await HTTP.export(server.otlpHTTP, .stub(spans: [once, CourierPickup.tool(.stub(0xD002), span: 22, parent: nil, start: 2, error: nil)]))
            #expect(try await HTTP.exceptions(server.api).isEmpty)
        }
    }

    @Test("a vendor lookup returning stale data twice opens stale_connector_data")
    func stale() async throws {
        try await TestServer.with { server in
            let reads = (1...2).map { index in
                Span.stub(trace: .stub(0xE001), span: .stub(UInt64(index)), name: "execute_tool vendor.lookup", start: CourierPickup.t0 + UInt64(index),
                          attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("vendor.lookup")),
                                       Attribute("connector.name", .string("vendor-master")), Attribute("connector.data.age_ms", .int(7_200_000))])
            }
            try await HTTP.export(server.otlpHTTP, .stub(service: "procurement", spans: [reads[0]]))
            #expect(try await HTTP.exceptions(server.api).isEmpty)
            try await HTTP.export(server.otlpHTTP, .stub(service: "procurement", spans: [reads[1]]))
            let listed = try await HTTP.exceptions(server.api, "?class=stale_connector_data")
            #expect(listed.count == 1)
            #expect(listed.first?["category"] as? String == "data_integrity")
            #expect(listed.first?["owner"] as? String == "ops-triage")
        }
    }

    @Test("actions follow the lifecycle, every change is in the history, and a recurrence reopens")
    func lifecycle() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first + CourierPickup.second))
            let id = try #require(try await HTTP.exceptions(server.api).first?["id"] as? String)
            #expect(try await HTTP.act(server.api, id, ["action": "ack", "actor": "dana", "note": "looking"]).status == 200)
            let again = try await HTTP.act(server.api, id, ["action": "ack", "actor": "dana"])
            #expect(again.status == 400)
            #expect((try again.json()["error"] as? [String: Any])?["code"] as? String == "invalid_transition")
            #expect(try await HTTP.act(server.api, id, ["action": "assign", "actor": "dana"]).status == 400)
            #expect(try await HTTP.act(server.api, id, ["action": "assign", "actor": "dana", "owner": "courier-team"]).status == 200)
            #expect(try await HTTP.act(server.api, id, ["action": "fly"]).status == 400)
            #expect(try await HTTP.act(server.api, "exc_0000000000000000", ["action": "ack"]).status == 404)
            #expect(try await HTTP.act(server.api, "not-an-id", ["action": "ack"]).status == 400)
            let resolved = try await HTTP.act(server.api, id, ["action": "resolve", "actor": "sam", "note": "address fixed"])
            #expect(try resolved.json()["status"] as? String == "resolved")
            #expect(try resolved.json()["owner"] as? String == "courier-team")

            // The same failure again in the workflow: reopened, a second occurrence.
            let third = CourierPickup.tool(CourierPickup.retry, span: 13, parent: 11, start: 120, error: "address_not_found")
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: [third]))
            let exception = try await HTTP.getJSON(server.api + "/api/v1/exceptions/\(id)")
            #expect(exception["status"] as? String == "open")
            #expect(exception["occurrences"] as? Int == 2)
            let history = (exception["history"] as? [[String: Any]]) ?? []
            #expect(history.map { $0["action"] as? String ?? "" } == ["opened", "acknowledged", "assigned", "resolved", "reopened"])
            #expect(history.map { $0["actor"] as? String ?? "" } == ["causeway", "dana", "dana", "sam", "causeway"])
            #expect(history[1]["note"] as? String == "looking")
            #expect(history[2]["owner"] as? String == "courier-team")
            #expect(try await HTTP.send(server.api + "/api/v1/exceptions/exc_XYZ", method: .GET).status == 400)
            #expect(try await HTTP.send(server.api + "/api/v1/exceptions/exc_00000000000000ff", method: .GET).status == 404)
        }
    }

    @Test("listing filters by status, class and owner, and pages with a cursor")
    func listing() async throws {
        try await TestServer.with(configure: Self.configure) { server in
            for index in 0..<5 {
                let trace = TraceID.stub(0xF000 + UInt64(index))
                let spans = (1...2).map { CourierPickup.tool(trace, span: UInt64($0), parent: nil, start: UInt64($0), error: "address_not_found") }
                try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: spans))
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await HTTP.getJSON(server.api + "/api/v1/exceptions?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                seen += ((page["exceptions"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 5)
            #expect(Set(seen).count == 5)
            #expect(try await HTTP.exceptions(server.api, "?owner=logistics-ops").count == 5)
            #expect(try await HTTP.exceptions(server.api, "?owner=nobody").isEmpty)
            #expect(try await HTTP.exceptions(server.api, "?status=resolved").isEmpty)
            #expect(try await HTTP.exceptions(server.api, "?class=repeat_failure&status=open").count == 5)
            #expect(try await HTTP.send(server.api + "/api/v1/exceptions?status=maybe", method: .GET).status == 400)
            #expect(try await HTTP.send(server.api + "/api/v1/exceptions?limit=0", method: .GET).status == 400)
        }
    }
}
