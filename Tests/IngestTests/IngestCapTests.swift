import Logging
import Synchronization
import Testing
import TestSupport
import TraceModel
@testable import Ingest

/// Keeps what reaches it, to see what ingest let through.
final class RecordingSink: SpanSink {
    let batches = Mutex<[TraceBatch]>([])
    func accept(_ batch: TraceBatch) async throws { batches.withLock { $0.append(batch) } }
    var spans: [Span] { batches.withLock { $0.flatMap(\.spans) } }
}

@Suite("Per-value and per-trace caps at ingest")
struct IngestCapTests {
    func handler(_ sink: RecordingSink, maxValue: Int = 10, maxSpans: Int = 3) -> ExportHandler {
        ExportHandler(sink: sink, limits: IngestLimits(maxAttributeValueBytes: maxValue, maxSpansPerTrace: maxSpans), logger: Logger(label: "test"))
    }

    @Test("string and bytes values past the limit are stored cut (at a character boundary), counted and reported")
    func truncation() async throws {
        let sink = RecordingSink()
        let ingest = handler(sink)
        let span = Span.stub(trace: .stub(1), span: .stub(1), attributes: [
            Attribute("short", .string("ok")),
            Attribute("long", .string("ééééééé")),  // 14 bytes: cut to 10 = 5 characters
            Attribute("blob", .bytes([UInt8](repeating: 7, count: 40))),
            Attribute("nested", .keyValueList([Attribute("inner", .array([.string(String(repeating: "x", count: 30))]))])),
        ])
        let response = try await ingest.export(TraceBatch.stub(service: "s", spans: [span]).protobufExportRequest(), encoding: .protobuf)
        let stored = try #require(sink.spans.first)
        #expect(stored.attributes[0].value == .string("ok"))
        #expect(stored.attributes[1].value == .string("ééééé"))
        #expect(stored.attributes[2].value == .bytes([UInt8](repeating: 7, count: 10)))
        #expect(stored.attributes[3].value == .keyValueList([Attribute("inner", .array([.string("xxxxxxxxxx")]))]))
        #expect(ingest.statistics.attributeValuesTruncated == 3)
        #expect(response.errorMessage.contains("3 attribute value(s) over the size limit were stored truncated"))
        #expect(response.rejectedSpans == 0)
    }

    @Test("a trace past its span cap: its new spans refused in partial_success and counted; other traces unaffected")
    func spanCap() async throws {
        let sink = RecordingSink()
        let ingest = handler(sink)
        func batch(_ trace: UInt64, _ first: UInt64, _ count: UInt64) -> [UInt8] {
            TraceBatch.stub(service: "s", spans: (first..<first + count).map { Span.stub(trace: .stub(trace), span: .stub($0)) }).protobufExportRequest()
        }
        #expect(try await ingest.export(batch(1, 1, 2), encoding: .protobuf).rejectedSpans == 0)
        let over = try await ingest.export(batch(1, 3, 2), encoding: .protobuf)
        #expect(over.rejectedSpans == 2)
        #expect(over.errorMessage.contains("over the 3-span cap"))
        #expect(try await ingest.export(batch(2, 1, 3), encoding: .protobuf).rejectedSpans == 0)
        #expect(try await ingest.export(batch(1, 5, 1), encoding: .protobuf).rejectedSpans == 0, "one more still fits trace 1")
        #expect(sink.spans.filter { $0.traceID == .stub(1) }.count == 3)
        #expect(ingest.statistics.spansOverTraceCap == 2)
    }
}
