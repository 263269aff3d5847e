import Foundation
import OTLP
import Testing
import TestSupport
import TraceModel

@Suite("OTLP/HTTP end to end")
struct OTLPHTTPTests {
    static let traceHex = TraceID.stub(0xABCD).hex

    @Test("protobuf, JSON and gzip bodies are stored and queryable as soon as the 200 arrives", arguments: ["protobuf", "json", "gzip-protobuf", "gzip-json"])
    func exportAndQuery(encoding: String) async throws {
        try await TestServer.with { server async throws in
            let batch = TraceBatch.everyField
            let reply: HTTPReply
            switch encoding {
            case "protobuf": reply = try await HTTP.postProtobuf(server, batch.protobufExportRequest())
            case "json": reply = try await HTTP.postJSON(server, batch.jsonExportRequest())
            case "gzip-protobuf": reply = try await HTTP.postProtobuf(server, try gzipped(batch.protobufExportRequest()), gzip: true)
            default:
                reply = try await HTTP.send(server.otlpHTTP + "/v1/traces",
                                            headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                                            body: try gzipped(batch.jsonExportRequest()))
            }
            #expect(reply.status == 200, "\(reply.text)")
            if encoding.hasSuffix("json") {
                #expect(reply.headers["content-type"] == "application/json")
                #expect(try OTLPJSON.decodeExportResponse(reply.body) == ExportResponse())
            } else {
                #expect(reply.headers["content-type"] == "application/x-protobuf")
                #expect(try OTLPProtobuf.decodeExportResponse(reply.body) == ExportResponse())
            }

            let trace = try await HTTP.trace(server, Self.traceHex)
            #expect(trace.status == 200)
            let json = try trace.json()
            let spans = try #require(json["spans"] as? [[String: Any]])
            #expect(spans.count == 3)
            let span = try #require(spans.first { $0["span_id"] as? String == SpanID.stub(0x1234).hex })
            let expected = Span.everyField()
            #expect(span["trace_id"] as? String == Self.traceHex)
            #expect(span["parent_span_id"] as? String == SpanID.stub(0x5678).hex)
            #expect(span["name"] as? String == expected.name)
            #expect(span["service"] as? String == "refund-agent")
            #expect(span["kind"] as? String == "client")
            #expect(span["status"] as? String == "error")
            #expect(span["status_message"] as? String == "refund failed")
            #expect(span["trace_state"] as? String == "vendor=value,other=1")
            #expect(span["flags"] as? Int == 0x301)
            #expect(span["start_time_unix_nano"] as? String == "1763750000123456789")
            #expect(span["start_time"] as? String == "2025-11-21T18:33:20.123456789Z")
            #expect(span["dropped_attributes_count"] as? Int == 3)
            #expect(span["dropped_events_count"] as? Int == 2)
            #expect(span["dropped_links_count"] as? Int == 5)
            let attributes = try #require(span["attributes"] as? [String: Any])
            #expect(attributes["string"] as? String == "hello, wörld")
            #expect(attributes["int"] as? Int == -9_007_199_254_740_993)
            #expect(attributes["bool"] as? Bool == true)
            #expect(attributes["bytes"] as? String == "AAEC/w==")
            #expect((attributes["map"] as? [String: Any])?["inner"] as? Double == -2.5)
            let events = try #require(span["events"] as? [[String: Any]])
            #expect(events.map { $0["name"] as? String } == ["exception", "approval.granted"])
            #expect((events[0]["attributes"] as? [String: Any])?["exception.type"] as? String == "TimeoutError")
            let links = try #require(span["links"] as? [[String: Any]])
            #expect(links.first?["trace_id"] as? String == TraceID.stub(0xFEED).hex)
            #expect(links.first?["span_id"] as? String == SpanID.stub(0xBEEF).hex)
            #expect((links.first?["attributes"] as? [String: Any])?["messaging.operation"] as? String == "process")
            let resource = try #require(span["resource"] as? [String: Any])
            #expect(resource["schema_url"] as? String == "https://opentelemetry.io/schemas/1.26.0")
            let scope = try #require(span["scope"] as? [String: Any])
            #expect(scope["name"] as? String == "agent.sdk")
            #expect(scope["version"] as? String == "2.1")
            let edges = try #require(json["edges"] as? [[String: Any]])
            #expect(edges.contains { $0["type"] as? String == "link" })
        }
    }

    @Test("re-delivery of the same request stores nothing twice")
    func redelivery() async throws {
        try await TestServer.with { server async throws in
            let body = TraceBatch.everyField.protobufExportRequest()
            for _ in 0..<3 {
                #expect(try await HTTP.postProtobuf(server, body).status == 200)
            }
            #expect(try await server.server.store.spanCount() == 3)
            let trace = try await HTTP.trace(server, Self.traceHex)
            let spans = try #require(try trace.json()["spans"] as? [[String: Any]])
            #expect(spans.count == 3)
        }
    }

    @Test("spans with bad ids come back in partial_success; the rest are stored")
    func partialSuccess() async throws {
        try await TestServer.with { server async throws in
            let batch = TraceBatch.stub(spans: [.stub(trace: TraceID(high: 0, low: 0)), .stub(span: .stub(2))])
            let reply = try await HTTP.postProtobuf(server, batch.protobufExportRequest())
            #expect(reply.status == 200)
            let response = try OTLPProtobuf.decodeExportResponse(reply.body)
            #expect(response.rejectedSpans == 1)
            #expect(response.errorMessage.contains("trace_id is all zero"))
            #expect(try await server.server.store.spanCount() == 1)
        }
    }

    @Test("bad input gets a clear error and stores nothing; the server keeps serving")
    func badInput() async throws {
        try await TestServer.with { server async throws in
            let garbage = try await HTTP.postProtobuf(server, Array("not protobuf at all".utf8))
            #expect(garbage.status == 400)
            let badJSON = try await HTTP.postJSON(server, Array("{\"resourceSpans\":[{]}".utf8))
            #expect(badJSON.status == 400)
            #expect(badJSON.text.contains("invalid JSON"))
            let truncatedGzip = try gzipped(TraceBatch.everyField.protobufExportRequest()).dropLast(12)
            let truncated = try await HTTP.postProtobuf(server, Array(truncatedGzip), gzip: true)
            #expect(truncated.status == 400)
            let notGzip = try await HTTP.postProtobuf(server, TraceBatch.everyField.protobufExportRequest(), gzip: true)
            #expect(notGzip.status == 400)
            #expect(try await server.server.store.spanCount() == 0)
            #expect(try await HTTP.postProtobuf(server, TraceBatch.everyField.protobufExportRequest()).status == 200)
        }
    }

    @Test("another content type gets 415, another encoding 415, another method 405")
    func protocolErrors() async throws {
        try await TestServer.with { server async throws in
            let text = try await HTTP.send(server.otlpHTTP + "/v1/traces", headers: [("Content-Type", "text/plain")], body: [1])
            #expect(text.status == 415)
            let none = try await HTTP.send(server.otlpHTTP + "/v1/traces", body: [1])
            #expect(none.status == 415)
            let brotli = try await HTTP.send(server.otlpHTTP + "/v1/traces",
                                             headers: [("Content-Type", "application/x-protobuf"), ("Content-Encoding", "br")], body: [1])
            #expect(brotli.status == 415)
            let get = try await HTTP.send(server.otlpHTTP + "/v1/traces", method: .GET)
            #expect(get.status == 405)
            #expect(get.headers["allow"] == "POST")
            let put = try await HTTP.send(server.otlpHTTP + "/v1/traces", method: .PUT, body: [1])
            #expect(put.status == 405)
            // Refused before their bodies were read, and counted like every other refusal.
            let ingest = try #require(try await HTTP.getJSON(server.api + "/api/v1/stats")["ingest"] as? [String: Any])
            #expect(ingest["requests_refused"] as? Int == 3)
        }
    }

    @Test("a body over 20 MiB gets 413, on the wire or after decompression")
    func tooLarge() async throws {
        try await TestServer.with { server async throws in
            let big = [UInt8](repeating: 0, count: 20 * 1024 * 1024 + 1)
            #expect(try await HTTP.postProtobuf(server, big).status == 413)
            // Refused by its Content-Length, before its body was read, and counted.
            let ingest = try #require(try await HTTP.getJSON(server.api + "/api/v1/stats")["ingest"] as? [String: Any])
            #expect(ingest["requests_refused"] as? Int == 1)
            let bomb = try gzipped(big)
            #expect(bomb.count < 1024 * 1024)
            #expect(try await HTTP.postProtobuf(server, bomb, gzip: true).status == 413)
            let afterBomb = try #require(try await HTTP.getJSON(server.api + "/api/v1/stats")["ingest"] as? [String: Any])
            #expect(afterBomb["requests_refused"] as? Int == 2, "the bomb, found while inflating, counts too")
            #expect(try await HTTP.postProtobuf(server, TraceBatch.everyField.protobufExportRequest()).status == 200)
        }
    }

    @Test("the trace API answers 404 for an unknown trace and 400 for a malformed id", arguments: [
        ("0af7651916cd43dd8448eb211c80319c", 404), ("xyz", 400), ("00000000000000000000000000000000", 400),
        ("0af7651916cd43dd8448eb211c80319", 400),
    ])
    func traceLookupErrors(id: String, status: Int) async throws {
        try await TestServer.with { server async throws in
            let reply = try await HTTP.trace(server, id)
            #expect(reply.status == status)
            #expect((try reply.json()["error"] as? [String: Any])?["message"] is String)
        }
    }

    @Test("strings round-trip whole, a NUL inside included (name, status message, attribute, scope)")
    func nulInside() async throws {
        try await TestServer.with { server async throws in
            let trace = TraceID.stub(0x4E55)
            let span = Span.stub(trace: trace, span: .stub(1), name: "before\u{0}after", attributes: [Attribute("note", .string("v\u{0}w"))],
                                 status: SpanStatus(code: .error, message: "bad\u{0}worse"))
            try await HTTP.export(server.otlpHTTP, .stub(service: "nul", spans: [span]))
            let workflow = try await HTTP.getJSON(server.api + "/api/v1/traces/\(trace.hex)")
            let stored = try #require((workflow["spans"] as? [[String: Any]])?.first)
            #expect(stored["name"] as? String == "before\u{0}after")
            #expect(stored["status_message"] as? String == "bad\u{0}worse")
            #expect((stored["attributes"] as? [String: Any])?["note"] as? String == "v\u{0}w")
        }
    }

    @Test("healthz answers")
    func health() async throws {
        try await TestServer.with { server async throws in
            #expect(try await HTTP.send(server.api + "/healthz", method: .GET).status == 200)
        }
    }

    @Test("spans acknowledged before a restart are there after it")
    func restart() async throws {
        let path = temporaryDatabasePath()
        try await TestServer.with(databasePath: path) { server async throws in
            #expect(try await HTTP.postProtobuf(server, TraceBatch.everyField.protobufExportRequest()).status == 200)
        }
        try await TestServer.with(databasePath: path) { server async throws in
            let trace = try await HTTP.trace(server, Self.traceHex)
            let spans = try #require(try trace.json()["spans"] as? [[String: Any]])
            #expect(spans.count == 3)
        }
    }
}
