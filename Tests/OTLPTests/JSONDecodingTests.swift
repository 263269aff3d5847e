import OTLP
import Testing
import TestSupport
import TraceModel

@Suite("OTLP JSON decoding")
struct JSONDecodingTests {
    @Test("every field of every span survives a JSON round trip")
    func roundTrip() throws {
        let batch = TraceBatch.everyField
        let decoded = try OTLPJSON.decodeExportRequest(batch.jsonExportRequest())
        #expect(decoded.batch == batch)
    }

    @Test("ids are hex in either case; int64 as string or number; enums as integers or names; unknown fields ignored")
    func conventions() throws {
        let body = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
              "futureField": {"x": 1},
              "scopeSpans":[{"scope":{"name":"s"},"spans":[
                {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"",
                 "name":"upper","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
                 "attributes":[{"key":"n","value":{"intValue":42}},{"key":"s","value":{"intValue":"-7"}},
                               {"key":"d","value":{"doubleValue":"NaN"}}],
                 "status":{"code":"STATUS_CODE_ERROR","message":"boom"}, "unknown": [1,2,3]},
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"lower","kind":"SPAN_KIND_CONSUMER"}
              ]}]}]}
            """
        let decoded = try OTLPJSON.decodeExportRequest(Array(body.utf8))
        let spans = decoded.batch.spans
        #expect(spans.count == 2)
        #expect(spans[0].traceID == TraceID(hex: "5b8efff798038103d269b633813fc60c"))
        #expect(spans[0].spanID.hex == "eee19b7ec3c1b174")
        #expect(spans[0].parentSpanID == nil)
        #expect(spans[0].kind == .server)
        #expect(spans[0].startTimeUnixNano == 1_544_712_660_000_000_000)
        #expect(spans[0].endTimeUnixNano == 1_544_712_661_000_000_000)
        #expect(spans[0].attributes["n"] == .int(42))
        #expect(spans[0].attributes["s"] == .int(-7))
        if case .double(let value) = spans[0].attributes["d"] { #expect(value.isNaN) } else { Issue.record("d is not a double") }
        #expect(spans[0].status == SpanStatus(code: .error, message: "boom"))
        #expect(spans[1].kind == .consumer)
        #expect(decoded.batch.resourceGroups.first?.resource.serviceName == "svc")
    }

    @Test("invalid UTF-8 and lone surrogates are repaired, counted and reported, like protobuf; a NUL escape stays whole")
    func repairsReported() throws {
        func body(_ name: [UInt8]) -> [UInt8] {
            Array(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":""#.utf8)
                + name + Array(#""}]}]}]}"#.utf8)
        }
        let clean = try OTLPJSON.decodeExportRequest(body(Array("a\\u0000b".utf8)))
        #expect(clean.repairedStrings == 0)
        #expect(clean.batch.spans.first?.name == "a\u{0}b")
        let invalid = try OTLPJSON.decodeExportRequest(body([0x62, 0xFF, 0x64]))
        #expect(invalid.batch.spans.first?.name == "b\u{FFFD}d")
        #expect(invalid.repairedStrings == 1)
        #expect(invalid.response.errorMessage.contains("not valid UTF-8"))
        let surrogate = try OTLPJSON.decodeExportRequest(body(Array("x\\ud800y".utf8)))
        #expect(surrogate.batch.spans.first?.name == "x\u{FFFD}y")
        #expect(surrogate.repairedStrings == 1)
    }

    @Test("malformed JSON is refused with a message saying where", arguments: [
        ("{\"resourceSpans\": [", "invalid JSON"),
        ("[]", "request must be a JSON object"),
        ("{\"resourceSpans\": {}}", "resourceSpans must be an array"),
        ("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\",\"startTimeUnixNano\":\"soon\"}]}]}]}",
         "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano"),
        ("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\",\"attributes\":[{\"key\":\"b\",\"value\":{\"bytesValue\":\"***\"}}]}]}]}]}",
         "bytesValue must be base64"),
    ])
    func malformed(body: String, message: String) {
        let error = #expect(throws: OTLPDecodingError.self) { try OTLPJSON.decodeExportRequest(Array(body.utf8)) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test("wrong-length, non-hex and all-zero ids reject that span only", arguments: [
        ("5b8efff798038103d269b633813fc6", "eee19b7ec3c1b174", "traceId must be 32 hex digits"),
        ("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b17g", "spanId must be 16 hex digits"),
        ("00000000000000000000000000000000", "eee19b7ec3c1b174", "traceId is all zero"),
    ])
    func badIDs(traceID: String, spanID: String, reason: String) throws {
        let body = """
            {"resourceSpans":[{"scopeSpans":[{"spans":[
              {"traceId":"\(traceID)","spanId":"\(spanID)","name":"bad"},
              {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"good"}]}]}]}
            """
        let decoded = try OTLPJSON.decodeExportRequest(Array(body.utf8))
        #expect(decoded.batch.spans.map(\.name) == ["good"])
        #expect(decoded.rejectedSpans == 1)
        #expect(decoded.response.errorMessage.contains(reason))
    }

    @Test("attribute nesting past the limit is refused")
    func nesting() {
        var value = "{\"stringValue\":\"leaf\"}"
        for _ in 0..<Attribute.maxNestingDepth { value = "{\"arrayValue\":{\"values\":[\(value)]}}" }
        let body = """
            {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
              "spanId":"eee19b7ec3c1b174","attributes":[{"key":"deep","value":\(value)}]}]}]}]}
            """
        #expect(throws: OTLPDecodingError.self) { try OTLPJSON.decodeExportRequest(Array(body.utf8)) }
    }

    @Test("the JSON response carries partial success")
    func response() throws {
        let response = ExportResponse(rejectedSpans: 3, errorMessage: "bad \"ids\"")
        #expect(try OTLPJSON.decodeExportResponse(OTLPJSON.encode(response)) == response)
        #expect(OTLPJSON.encode(ExportResponse()) == Array("{}".utf8))
    }
}
