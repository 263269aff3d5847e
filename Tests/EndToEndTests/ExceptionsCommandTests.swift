import Foundation
import TestSupport
import Testing
import TraceModel

@Suite("causeway exceptions and stats")
struct ExceptionsCommandTests {
    @Test("list, show, act and stats through the CLI, span data escaped")
    func commands() async throws {
        let server = try ServerProcess()
        defer { _ = server.terminate() }
        try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first + CourierPickup.second))
        // A failing tool whose name carries terminal escapes.
        let hostile = (1...2).map { index in
            Span.stub(trace: .stub(0xEE01), span: .stub(UInt64(index)), name: "x", start: CourierPickup.t0 + UInt64(index),
                      attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("evil\u{1B}[31mtool")),
                                   Attribute("error.type", .string("permission_denied"))],
                      status: SpanStatus(code: .error))
        }
        try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: hostile))

        let list = try CommandRun.causeway(["exceptions", "list", "--server", server.api])
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("ID") == true)
        #expect(lines.count == 3)
        #expect(lines.contains { $0.contains("repeat_failure") && $0.contains("ops-triage") && $0.contains("courier.pickup failed 2 times") })
        #expect(!list.stdout.unicodeScalars.contains { $0.value == 0x1B })
        #expect(list.stdout.contains("evil\\u{1B}[31mtool"))

        let listed = try await HTTP.exceptions(server.api, "?owner=ops-triage")
        let id = try #require(listed.first { ($0["summary"] as? String)?.contains("courier.pickup") == true }?["id"] as? String)
        let show = try CommandRun.causeway(["exceptions", "show", id, "--server", server.api])
        #expect(show.status == 0)
        #expect(show.stdout.contains("causal path:"))
        #expect(show.stdout.contains("  POST /pickups  [dispatch]"))
        #expect(show.stdout.contains("└─ ⤷ link  retry pickup  [dispatch]"))
        #expect(show.stdout.contains("courier.pickup  error (address_not_found)  call call_2"))
        #expect(show.stdout.contains("causeway  opened"))

        let ack = try CommandRun.causeway(["exceptions", "ack", id, "--actor", "dana", "--note", "on it", "--server", server.api])
        #expect(ack.status == 0)
        #expect(ack.stdout.contains("\(id): acknowledged, owner ops-triage"))
        let assign = try CommandRun.causeway(["exceptions", "assign", id, "--owner", "courier-team", "--server", server.api])
        #expect(assign.stdout.contains("owner courier-team"))
        let again = try CommandRun.causeway(["exceptions", "ack", id, "--server", server.api])
        #expect(again.status == 1)
        #expect(again.stderr.contains("cannot ack an exception that is acknowledged"))
        let unknown = try CommandRun.causeway(["exceptions", "show", "exc_0000000000000000", "--server", server.api])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no exception exc_0000000000000000"))
        #expect(try CommandRun.causeway(["exceptions", "resolve", id, "--note", "fixed", "--server", server.api]).status == 0)
        let resolved = try CommandRun.causeway(["exceptions", "list", "--status", "resolved", "--json", "--server", server.api])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(resolved.stdout.utf8)) as? [String: Any])
        #expect((object["exceptions"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
        let history = try CommandRun.causeway(["exceptions", "show", id, "--server", server.api]).stdout
        #expect(history.contains("dana  acknowledged: on it"))
        #expect(history.contains("assigned → courier-team"))
        #expect(history.contains("resolved: fixed"))

        let stats = try CommandRun.causeway(["stats", "--server", server.api])
        #expect(stats.status == 0)
        #expect(stats.stdout.contains("class repeat_failure"))
        #expect(stats.stdout.contains("owner courier-team"))
        #expect(stats.stdout.contains("ingest: 6 spans accepted"))
    }

    @Test("/api/v1/stats and /metrics carry the queue figures and ingest counters")
    func figures() async throws {
        try await TestServer.with { server in
            try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first + CourierPickup.second))
            let id = try #require(try await HTTP.exceptions(server.api).first?["id"] as? String)
            #expect(try await HTTP.act(server.api, id, ["action": "resolve", "actor": "sam"]).status == 200)
            let stats = try await HTTP.getJSON(server.api + "/api/v1/stats")
            let queue = try #require(stats["queue"] as? [String: Any])
            let total = try #require(queue["total"] as? [String: Any])
            #expect(total["resolved"] as? Int == 1)
            #expect(total["open"] as? Int == 0)
            #expect(total["resolved_within_sla"] as? Double == 1)
            #expect((queue["by_class"] as? [String: Any])?["repeat_failure"] != nil)
            #expect((queue["by_owner"] as? [String: Any])?["ops-triage"] != nil)
            let ingest = try #require(stats["ingest"] as? [String: Any])
            #expect(ingest["spans_written"] as? Int == 4)
            #expect(ingest["exceptions_opened"] as? Int == 1)
            let metrics = try await HTTP.send(server.api + "/metrics", method: .GET)
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains("causeway_spans_written_total 4"))
            #expect(metrics.text.contains("causeway_exceptions_opened_total 1"))
            #expect(metrics.text.contains("causeway_exceptions_open{class=\"repeat_failure\"} 0"))
            #expect(metrics.text.contains("# TYPE causeway_spans_accepted_total counter"))
        }
    }
}
