import OTLP
import Testing
import TestSupport
import TraceModel

@Suite("OTLP protobuf decoding")
struct ProtobufDecodingTests {
    @Test("every field of every span survives a protobuf round trip")
    func roundTrip() throws {
        let batch = TraceBatch.everyField
        let decoded = try OTLPProtobuf.decodeExportRequest(batch.protobufExportRequest())
        #expect(decoded.batch == batch)
        #expect(decoded.rejectedSpans == 0)
        #expect(decoded.repairedStrings == 0)
    }

    @Test("an empty request is a valid request with no spans")
    func emptyRequest() throws {
        let decoded = try OTLPProtobuf.decodeExportRequest([UInt8]())
        #expect(decoded.batch.spanCount == 0)
    }

    @Test("a body that is not protobuf is refused as a whole", arguments: [
        [UInt8]("hello, this is not protobuf".utf8),
        [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],      // length far past the end
        [0x0A],                                    // truncated length
        [0x0F, 0x00],                              // wire type 7
    ])
    func malformed(body: [UInt8]) {
        #expect(throws: OTLPDecodingError.self) { try OTLPProtobuf.decodeExportRequest(body) }
    }

    @Test("a truncated request is refused")
    func truncated() {
        let body = TraceBatch.everyField.protobufExportRequest()
        for cut in [1, 7, body.count / 2, body.count - 1] {
            #expect(throws: OTLPDecodingError.self) { try OTLPProtobuf.decodeExportRequest(Array(body.prefix(cut))) }
        }
    }

    @Test("attribute nesting at the limit is accepted, one deeper is refused before protobuf-c sees it")
    func nestingLimit() throws {
        func nested(_ depth: Int) -> AttributeValue {
            depth == 1 ? .string("leaf") : .array([nested(depth - 1)])
        }
        let atLimit = TraceBatch.stub(spans: [.stub(attributes: [Attribute("deep", nested(Attribute.maxNestingDepth))])])
        #expect(try OTLPProtobuf.decodeExportRequest(atLimit.protobufExportRequest()).batch == atLimit)

        let tooDeep = TraceBatch.stub(spans: [.stub(attributes: [Attribute("deep", nested(Attribute.maxNestingDepth + 1))])])
        let error = #expect(throws: OTLPDecodingError.self) { try OTLPProtobuf.decodeExportRequest(tooDeep.protobufExportRequest()) }
        #expect(error?.message.contains("nest deeper than 32") == true)
    }

    @Test("a pathologically deep body (100,000 levels) is refused without crashing")
    func hostileDepth() {
        // AnyValue{array_value{values{AnyValue{…}}}} built inside out, as raw bytes.
        var value: [UInt8] = []
        for _ in 0..<100_000 {
            var array: [UInt8] = [0x0A] + varint(value.count) + value      // ArrayValue.values = 1
            array = [0x2A] + varint(array.count) + array                   // AnyValue.array_value = 5
            value = array
        }
        let keyValue: [UInt8] = [0x12] + varint(value.count) + value       // KeyValue.value = 2
        let span: [UInt8] = [0x4A] + varint(keyValue.count) + keyValue     // Span.attributes = 9
        let scope: [UInt8] = [0x12] + varint(span.count) + span            // ScopeSpans.spans = 2
        let resource: [UInt8] = [0x12] + varint(scope.count) + scope       // ResourceSpans.scope_spans = 2
        let request: [UInt8] = [0x0A] + varint(resource.count) + resource  // request.resource_spans = 1
        #expect(throws: OTLPDecodingError.self) { try OTLPProtobuf.decodeExportRequest(request) }
    }

    @Test("spans with bad ids are rejected one by one and reported", arguments: [
        (TraceID(high: 0, low: 0), SpanID(1), "trace_id is all zero"),
        (TraceID.stub(1), SpanID(0), "span_id is all zero"),
    ])
    func zeroIDs(trace: TraceID, span: SpanID, reason: String) throws {
        let batch = TraceBatch.stub(spans: [.stub(trace: trace, span: span), .stub(span: .stub(2))])
        let decoded = try OTLPProtobuf.decodeExportRequest(batch.protobufExportRequest())
        #expect(decoded.rejectedSpans == 1)
        #expect(decoded.batch.spans.map(\.spanID) == [.stub(2)])
        #expect(decoded.response.errorMessage.contains(reason))
    }

    @Test("a trace id of the wrong length is rejected per span")
    func wrongLengthID() throws {
        // A span with a 15-byte trace id and an 8-byte span id, written by hand.
        let span: [UInt8] = [0x0A, 15] + [UInt8](repeating: 7, count: 15) + [0x12, 8] + [UInt8](repeating: 1, count: 8)
        let scope: [UInt8] = [0x12] + varint(span.count) + span
        let resource: [UInt8] = [0x12] + varint(scope.count) + scope
        let request: [UInt8] = [0x0A] + varint(resource.count) + resource
        let decoded = try OTLPProtobuf.decodeExportRequest(request)
        #expect(decoded.rejectedSpans == 1)
        #expect(decoded.response.errorMessage.contains("trace_id must be 16 bytes, got 15"))
    }

    @Test("an embedded NUL does not cut a string; invalid UTF-8 is repaired and counted")
    func strings() throws {
        let withNUL = TraceBatch.stub(spans: [.stub(name: "before\u{0}after", attributes: [Attribute("k\u{0}ey", .string("a\u{0}b"))])])
        let decoded = try OTLPProtobuf.decodeExportRequest(withNUL.protobufExportRequest())
        #expect(decoded.batch == withNUL)

        // Replace the span name's bytes "bad" with an invalid sequence of the same length.
        var body = TraceBatch.stub(spans: [.stub(name: "bad")]).protobufExportRequest()
        let range = try #require(body.firstRange(of: Array("bad".utf8)))
        body.replaceSubrange(range, with: [0x62, 0xFF, 0x64])
        let repaired = try OTLPProtobuf.decodeExportRequest(body)
        #expect(repaired.batch.spans.first?.name == "b\u{FFFD}d")
        #expect(repaired.repairedStrings == 1)
        #expect(repaired.response.errorMessage.contains("U+FFFD"))
    }

    @Test("the response encodes partial success and decodes back")
    func response() throws {
        let response = ExportResponse(rejectedSpans: 2, errorMessage: "2 span(s) rejected")
        #expect(try OTLPProtobuf.decodeExportResponse(OTLPProtobuf.encode(response)) == response)
        #expect(OTLPProtobuf.encode(ExportResponse()).isEmpty)
    }
}

func varint(_ value: Int) -> [UInt8] {
    var value = UInt64(value)
    var bytes: [UInt8] = []
    while value >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
        value >>= 7
    }
    bytes.append(UInt8(value))
    return bytes
}
