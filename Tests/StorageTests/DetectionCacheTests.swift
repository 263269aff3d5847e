import Detection
import Foundation
import GRDB
import Logging
@testable import Storage
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

    /// A fresh store with a running writer for `body`; the writer is stopped (every write
    /// committed) when it returns.
    @discardableResult
    static func withWriter(_ body: (TraceStore, SpanWriter) async throws -> Void) async throws -> TraceStore {
        let store = try TraceStore(path: temporaryDatabasePath())
        let writer = SpanWriter(store: store, logger: Logger(label: "tests"))
        let running = Task { try await writer.run() }
        do {
            try await body(store, writer)
        } catch {
            writer.finish()
            _ = try? await running.value
            throw error
        }
        writer.finish()
        try await running.value
        return store
    }

    @Test("a pattern a reviewer resolved reopens when it recurs, with one writer throughout")
    func resolvedThenRecurs() async throws {
        try await Self.withWriter { store, writer in
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
        }
    }

    /// After the cache is emptied (a restart, its bound, a rollback), what a round reads back from
    /// SQLite is kept for the rounds after: it was not, for a while, and every round read again.
    @Test("what the writer reads back after forgetting stays known for the next round")
    func relearnsAfterForgetting() async throws {
        let store = try await Self.withWriter { store, writer in
            try await writer.write(.stub(service: "vendor-sync", spans: [Self.staleRead(1), Self.staleRead(2)]))
            store.detectionCache.clear()
            try await writer.write(.stub(service: "vendor-sync", spans: [Self.staleRead(3)]))
        }
        let (workflow, key) = try await store.read { db in
            let row = try #require(try Row.fetchOne(db, sql: """
                SELECT fact_count.workflow_id, fact_count.key FROM fact_count JOIN workflow_trace ON workflow_trace.workflow_id = fact_count.workflow_id
                WHERE workflow_trace.trace_id = ? AND fact_count.detector = 'stale_connector_data'
                """, arguments: [Data(TraceID.stub(0x91).bytes)]))
            return (row[0] as Int64, row[1] as String)
        }
        #expect(store.detectionCache.cachedCount(WorkflowKey(workflow: workflow, detector: "stale_connector_data", key: key)) == 3)
    }

    /// Counts and repeats are written a round at a time, many rows a statement (`ValuesList`;
    /// JSON arrays before): text that needs escaping (quotes, backslashes, control characters,
    /// non-ASCII) comes back as it went in.
    @Test("a connector name JSON must escape survives the batched counts and repeats")
    func hostileNamesInBatches() async throws {
        try await Self.withWriter { store, writer in
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
        }
    }

    /// A workflow of 30 linked traces, each with a root, four stale reads (started out of order)
    /// and, every fifth, a tool failing twice the same way: spans shuffled across the traces and
    /// sent six at a time, so the workflow is pieced together over many rounds and merges.
    static func fragmentedWorkflow(seed: UInt64) -> [TraceBatch] {
        var spans: [Span] = []
        for trace in 0..<30 {
            let id = TraceID.stub(0xF000 + UInt64(trace))
            let start = t0 + UInt64(trace) * 1_000
            let links = trace == 0 ? [] : [SpanLink(traceID: .stub(0xF000 + UInt64((trace - 1) / 3)), spanID: .stub(2))]
            spans.append(Span.stub(trace: id, span: .stub(1), name: "process job", start: start, links: links))
            for read in 0..<4 {
                spans.append(Span.stub(trace: id, span: .stub(2 + UInt64(read)), parent: .stub(1), name: "read vendor",
                                       start: start + UInt64((read * 7 + trace) % 11),
                                       attributes: [Attribute("connector.name", .string("vendor-master")), Attribute("connector.data.age_ms", .int(7_200_000))]))
            }
            if trace % 5 == 0 {
                for attempt in 0..<2 {
                    spans.append(Span.stub(trace: id, span: .stub(10 + UInt64(attempt)), parent: .stub(1), name: "execute_tool payments.charge",
                                           start: start + 20 + UInt64(attempt),
                                           attributes: [Attribute("gen_ai.tool.name", .string("payments.charge"))],
                                           events: [SpanEvent(timeUnixNano: start + 20, name: "exception", attributes: [Attribute("exception.type", .string("CardDeclined"))])],
                                           status: SpanStatus(code: .error, message: "declined")))
                }
            }
        }
        var random = SeededRandom(seed: seed)
        spans.shuffle(using: &random)
        return stride(from: 0, to: spans.count, by: 6).map { TraceBatch.stub(service: "jobs", spans: Array(spans[$0..<min($0 + 6, spans.count)])) }
    }

    /// Everything detection left in a store: every exception (merged ones too) and the stored
    /// facts and counts, by workflow key trace (ids of workflows differ between stores).
    static func outcome(_ store: TraceStore) async throws -> [String] {
        var filter = ExceptionFilter()
        filter.statuses = [.open, .acknowledged, .resolved, .dismissed, .merged]
        let items = try await store.exceptions(filter, limit: 1000, after: nil).items.map { item in
            "exception \(item.id) \(item.status.rawValue) \(item.occurrences) \(item.trigger.traceID.hex)/\(item.trigger.spanID.hex) \(item.mergedInto ?? "-") \(item.summary)"
        }
        let rows = try await store.read { db in
            try String.fetchAll(db, sql: """
                SELECT 'count ' || hex(workflow.key_trace_id) || ' ' || fact_count.detector || ' ' || fact_count.key || ' ' || fact_count.count
                FROM fact_count JOIN workflow ON workflow.id = fact_count.workflow_id
                UNION ALL
                SELECT 'fact ' || hex(trace_id) || ' ' || hex(span_id) || ' ' || detector || ' ' || key FROM detection_fact
                """)
        }
        return (items + rows).sorted()
    }

    /// The writer's cache follows workflows as they are created and merged (`DetectionCache.stitched`)
    /// instead of reading them again: a store that forgets everything after every round must
    /// end with the same exceptions, counts, triggers and stored facts.
    @Test("a workflow pieced together over many rounds ends as if the writer had remembered nothing", arguments: [21, 22, 23] as [UInt64])
    func mergedWorkflowsAsIfCold(seed: UInt64) async throws {
        var outcomes: [[String]] = []
        for forgetting in [false, true] {
            let store = try await Self.withWriter { store, writer in
                for batch in Self.fragmentedWorkflow(seed: seed) {
                    try await writer.write(batch)
                    if forgetting { store.detectionCache.clear() }
                }
            }
            outcomes.append(try await Self.outcome(store))
        }
        #expect(outcomes[0].contains { $0.hasPrefix("exception ") && $0.contains(" open ") && $0.contains("on 120 reads") })
        #expect(outcomes[0].filter { $0.hasPrefix("exception ") && $0.contains(" merged ") }.count > 3)
        #expect(outcomes[0] == outcomes[1])
    }
}
