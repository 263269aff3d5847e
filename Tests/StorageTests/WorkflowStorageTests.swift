import Correlation
import Logging
import Storage
import Testing
import TestSupport
import TraceModel

@Suite("Workflow membership in storage")
struct WorkflowStorageTests {
    /// `traces` traces of `spansPerTrace` spans; trace k's root links into trace (k-1)/3.
    static func linkedTraces(_ traces: Int, spansPerTrace: Int, high: UInt64) -> [Span] {
        func trace(_ index: Int) -> TraceID { TraceID(high: high, low: UInt64(index + 1)) }
        func span(_ trace: Int, _ position: Int) -> SpanID { SpanID(UInt64(trace * spansPerTrace + position + 1)) }
        var spans: [Span] = []
        for index in 0..<traces {
            for position in 0..<spansPerTrace {
                let links: [SpanLink] = position == 0 && index > 0
                    ? [SpanLink(traceID: trace((index - 1) / 3), spanID: span((index - 1) / 3, index % spansPerTrace))] : []
                spans.append(Span.stub(trace: trace(index), span: span(index, position),
                                       parent: position == 0 ? nil : span(index, (position - 1) / 2), links: links))
            }
        }
        return spans
    }

    @Test("linked traces sent shuffled, in concurrent requests, are stitched into one whole workflow", arguments: [1, 2, 3])
    func shuffled(seed: UInt64) async throws {
        let store = try TraceStore(path: temporaryDatabasePath())
        let writer = SpanWriter(store: store, logger: Logger(label: "tests"))
        let running = Task { try await writer.run() }
        var random = SeededRandom(seed: seed)
        // Two separate workflows, interleaved.
        var spans = Self.linkedTraces(60, spansPerTrace: 10, high: 0xA) + Self.linkedTraces(40, spansPerTrace: 5, high: 0xB)
        spans.shuffle(using: &random)
        let batches = stride(from: 0, to: spans.count, by: 37).map { TraceBatch.stub(spans: Array(spans[$0..<min($0 + 37, spans.count)])) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    for batch in batches.enumerated() where batch.offset % 4 == lane { try await writer.write(batch.element) }
                }
            }
            try await group.waitForAll()
        }
        writer.finish()
        try await running.value

        let first = try #require(try await store.workflow(containing: TraceID(high: 0xA, low: 59)))
        #expect(first.traceIDs.count == 60)
        #expect(first.spans.count == 600)
        #expect(first.record.key == TraceID(high: 0xA, low: 1))
        #expect(first.record.traceCount == 60)
        let second = try #require(try await store.workflow(containing: TraceID(high: 0xB, low: 1)))
        #expect(second.traceIDs.count == 40)
        #expect(second.spans.count == 200)

        // Reopened, the membership is read back, not recomputed.
        let reopened = try TraceStore(path: store.path)
        #expect(try await reopened.workflow(containing: TraceID(high: 0xA, low: 17))?.traceIDs.count == 60)
    }
}
