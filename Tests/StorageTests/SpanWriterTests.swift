import Logging
import Storage
import Testing
import TestSupport
import TraceModel

@Suite("Span storage")
struct SpanWriterTests {
    let logger = Logger(label: "tests")

    /// Runs a writer for the duration of `body`, then drains it.
    func withWriter<R: Sendable>(_ store: TraceStore, maxQueuedSpans: Int = 65_536, _ body: (SpanWriter) async throws -> R) async throws -> R {
        let writer = SpanWriter(store: store, maxQueuedSpans: maxQueuedSpans, logger: logger)
        let running = Task { try await writer.run() }
        do {
            let result = try await body(writer)
            writer.finish()
            try await running.value
            return result
        } catch {
            writer.finish()
            try? await running.value
            throw error
        }
    }

    @Test("every field of a span, its resource and scope survive storage")
    func roundTrip() async throws {
        let store = try TraceStore(path: temporaryDatabasePath())
        let batch = TraceBatch.everyField
        try await withWriter(store) { writer in try await writer.write(batch) }

        let stored = try await store.spans(inTrace: .stub(0xABCD))
        #expect(stored.count == 3)
        let expected = batch.resourceGroups.flatMap { group in
            group.scopeGroups.flatMap { scopeGroup in
                scopeGroup.spans.map { StoredSpan(span: $0, resource: group.resource, scope: scopeGroup.scope, receivedAtUnixNano: 0) }
            }
        }
        for want in expected {
            var got = try #require(stored.first { $0.span.spanID == want.span.spanID })
            #expect(got.receivedAtUnixNano > 0)
            got.receivedAtUnixNano = 0
            #expect(got == want)
        }
    }

    @Test("re-delivering the same spans stores nothing twice")
    func idempotent() async throws {
        let store = try TraceStore(path: temporaryDatabasePath())
        try await withWriter(store) { writer in
            try await writer.write(.everyField)
            try await writer.write(.everyField)
            async let first: Void = writer.write(.everyField)
            async let second: Void = writer.write(.everyField)
            _ = try await (first, second)
            #expect(writer.statistics.spansWritten == 3)
            #expect(writer.statistics.spansDuplicate == 9)
        }
        #expect(try await store.spanCount() == 3)
        let span = try #require(try await store.spans(inTrace: .stub(0xABCD)).first { $0.span.spanID == .stub(0x1234) })
        #expect(span.span.links.count == 1)
    }

    @Test("what was committed is there after the database is reopened")
    func reopen() async throws {
        let path = temporaryDatabasePath()
        do {
            let store = try TraceStore(path: path)
            try await withWriter(store) { writer in try await writer.write(.everyField) }
        }
        let reopened = try TraceStore(path: path)
        #expect(try await reopened.spanCount() == 3)
        try await withWriter(reopened) { writer in try await writer.write(.everyField) }
        #expect(try await reopened.spanCount() == 3)
    }

    @Test("a full queue refuses new requests instead of growing")
    func saturation() async throws {
        let store = try TraceStore(path: temporaryDatabasePath())
        let writer = SpanWriter(store: store, maxQueuedSpans: 2, logger: logger)
        // Not running yet: the first request waits in the queue.
        let first = Task { try await writer.write(.stub(spans: [.stub(span: .stub(1)), .stub(span: .stub(2))])) }
        while writer.queuedSpans < 2 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: SpanWriter.Saturated.self) { try await writer.write(.stub(spans: [.stub(span: .stub(3))])) }
        #expect(writer.statistics.requestsRefused == 1)
        let running = Task { try await writer.run() }
        try await first.value
        writer.finish()
        try await running.value
        #expect(try await store.spanCount() == 2)
        await #expect(throws: SpanWriter.Stopped.self) { try await writer.write(.stub(spans: [.stub()])) }
    }
}
