import Detection
import Foundation
import Logging
import Storage
import Testing
import TestSupport
import TraceModel

/// The writer remembers fact counts and filed exceptions between transactions; what changes
/// them elsewhere (a reviewer's action, a rollback) must not leave it believing the old state.
@Suite("What the writer remembers between transactions")
struct DetectionCacheTests {
    static let t0: UInt64 = 1_700_000_000_000_000_000

    static func staleRead(_ span: UInt64) -> Span {
        Span.stub(trace: .stub(0x91), span: .stub(span), parent: span == 1 ? nil : .stub(1), start: t0 + span,
                  attributes: [Attribute("connector.name", .string("vendor-master")), Attribute("connector.data.age_ms", .int(7_200_000))])
    }

    @Test("a pattern a reviewer resolved reopens when it recurs, with one writer throughout")
    func resolvedThenRecurs() async throws {
        let store = try TraceStore(path: temporaryDatabasePath())
        let writer = SpanWriter(store: store, logger: Logger(label: "tests"))
        let running = Task { try await writer.run() }
        try await writer.write(.stub(service: "vendor-sync", spans: [Self.staleRead(1), Self.staleRead(2)]))
        let filed = try #require(try await store.exceptions(ExceptionFilter(), limit: 10, after: nil).items.first)
        #expect(filed.status == .open)
        try await store.apply(.resolve, to: filed.id, actor: "sam", owner: nil, note: "vendor feed fixed", at: Self.t0 + 10)

        try await writer.write(.stub(service: "vendor-sync", spans: [Self.staleRead(3)]))
        let again = try #require(try await store.exception(id: filed.id))
        #expect(again.record.status == .open)
        #expect(again.record.occurrences == 2)
        #expect(again.history.map(\.action) == ["opened", "resolved", "reopened"])

        // Acknowledged by a reviewer, a further read only counts: it stays acknowledged.
        try await store.apply(.ack, to: filed.id, actor: "sam", owner: nil, note: "", at: Self.t0 + 20)
        try await writer.write(.stub(service: "vendor-sync", spans: [Self.staleRead(4)]))
        let counted = try #require(try await store.exception(id: filed.id))
        #expect(counted.record.status == .acknowledged)
        #expect(counted.record.occurrences == 3)
        writer.finish()
        try await running.value
    }

    /// Counts and repeats are written a round at a time through JSON arrays: text that JSON must
    /// escape (quotes, backslashes, control characters, non-ASCII) comes back as it went in.
    @Test("a connector name JSON must escape survives the batched counts and repeats")
    func hostileNamesInBatches() async throws {
        let store = try TraceStore(path: temporaryDatabasePath())
        let writer = SpanWriter(store: store, logger: Logger(label: "tests"))
        let running = Task { try await writer.run() }
        let name = "crm \"β\" \\ \u{7}\ttab 🚀"
        func read(_ span: UInt64) -> Span {
            Span.stub(trace: .stub(0x92), span: .stub(span), parent: span == 1 ? nil : .stub(1), start: Self.t0 + span,
                      attributes: [Attribute("connector.name", .string(name)), Attribute("connector.data.age_ms", .int(7_200_000))])
        }
        try await writer.write(.stub(service: "vendor-sync", spans: [read(1), read(2)]))
        try await writer.write(.stub(service: "vendor-sync", spans: [read(3)]))
        try await writer.write(.stub(service: "vendor-sync", spans: [read(4), read(5)]))
        let filed = try #require(try await store.exceptions(ExceptionFilter(), limit: 10, after: nil).items.first)
        let detail = try #require(try await store.exception(id: filed.id))
        #expect(detail.record.occurrences == 4)
        #expect(detail.record.summary == "\(name) returned data older than 15m on 5 reads in one workflow")
        writer.finish()
        try await running.value
    }
}
