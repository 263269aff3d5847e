import Correlation
import Detection
import Foundation
import Logging
import Storage
import Testing
import TestSupport
import TraceModel

/// One root cause, one exception (DESIGN.md §6), and correlation keys, kept by the writer
/// whatever order the spans arrive in.
@Suite("Root causes and correlation keys in storage")
struct RootCauseStorageTests {
    static let t0: UInt64 = 1_700_000_000_000_000_000

    /// An agent run whose step and tool call all fail with the tool's error (the re-raise every
    /// framework does), as (tool, step, agent) of trace `trace`.
    static func reRaised(trace: UInt64, start: UInt64) -> [Span] {
        let failed = SpanStatus(code: .error, message: "address not found")
        let event = SpanEvent(name: "exception", attributes: [Attribute("exception.type", .string("AddressNotFoundError"))])
        let begin = t0 + start * 1_000_000_000
        return [
            Span.stub(trace: .stub(trace), span: .stub(3), parent: .stub(2), name: "execute_tool schedule_pickup", start: begin + 2,
                      attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("schedule_pickup"))],
                      events: [event], status: failed),
            Span.stub(trace: .stub(trace), span: .stub(2), parent: .stub(1), name: "running tools", start: begin + 1, events: [event], status: failed),
            Span.stub(trace: .stub(trace), span: .stub(1), name: "invoke_agent dispatcher", start: begin, events: [event], status: failed),
        ]
    }

    static func run(_ store: TraceStore, _ writes: [[Span]]) async throws {
        let writer = SpanWriter(store: store, logger: Logger(label: "tests"))
        let running = Task { try await writer.run() }
        for spans in writes { try await writer.write(.stub(service: "dispatch", spans: spans)) }
        writer.finish()
        try await running.value
    }

    @Test("a failure re-raised by its step and its agent counts once, at the tool, in any arrival order", arguments: ["children first", "parents first", "one by one reversed"])
    func reRaisedOnce(order: String) async throws {
        let store = try TraceStore(path: temporaryDatabasePath())
        // Two attempts, each its own trace, joined by a link from the second root to the first.
        var second = Self.reRaised(trace: 2, start: 10)
        second[2].links = [SpanLink(traceID: .stub(1), spanID: .stub(1))]
        let first = Self.reRaised(trace: 1, start: 0)
        let writes: [[Span]] = switch order {
        case "children first": [first, second]
        case "parents first": [first.reversed(), second.reversed()]
        default: (first + second).reversed().map { [$0] }
        }
        try await Self.run(store, writes)
        let found = try await store.exceptions(ExceptionFilter(), limit: 50, after: nil).items
        #expect(found.map(\.exceptionClass) == ["repeat_failure"])
        #expect(found.first?.tool == "schedule_pickup")
        #expect(found.first?.trigger == SpanReference(traceID: .stub(2), spanID: .stub(3)))

        // Settled, the tool's unresolved failure folds into the open repeat_failure: no second item.
        // (The writer stamps spans with the wall clock: settle an hour past it.)
        let later = UInt64(Date().timeIntervalSince1970 * 1e9) + 3_600_000_000_000
        let settled = try await store.settle(now: later)
        #expect(settled.opened.isEmpty)
        let after = try await store.exceptions(ExceptionFilter(), limit: 50, after: nil).items
        #expect(after.map(\.exceptionClass) == ["repeat_failure"])
        let detail = try #require(try await store.exception(id: after[0].id))
        #expect(detail.history.map(\.action) == ["opened", "folded"])
        #expect(detail.record.occurrences == 2)
        // Settling again folds nothing more.
        _ = try await store.settle(now: later + 3_600_000_000_000)
        #expect(try await store.exception(id: after[0].id)?.history.count == 2)
    }

    @Test("traces sharing a correlation attribute value join one workflow, in any order and across a restart", arguments: [false, true])
    func correlationKeys(consumerFirst: Bool) async throws {
        let path = temporaryDatabasePath()
        let message = [Attribute("messaging.message.id", .string("msg-7"))]
        let producer = Span.stub(trace: .stub(0x71), span: .stub(1), name: "enqueue refund", kind: .producer, attributes: message)
        let consumer = Span.stub(trace: .stub(0x72), span: .stub(1), name: "refund job", kind: .consumer, attributes: message)
        let unrelated = Span.stub(trace: .stub(0x73), span: .stub(1), name: "other job", kind: .consumer,
                                  attributes: [Attribute("messaging.message.id", .string("msg-8"))])
        let firstStore = try TraceStore(path: path, correlationAttributes: ["messaging.message.id"])
        try await Self.run(firstStore, [[consumerFirst ? consumer : producer, unrelated]])
        // Restarted between the two halves: the first value is remembered in the database.
        let store = try TraceStore(path: path, correlationAttributes: ["messaging.message.id"])
        try await Self.run(store, [[consumerFirst ? producer : consumer]])
        let workflow = try #require(try await store.workflow(containing: .stub(0x72)))
        #expect(Set(workflow.traceIDs) == [.stub(0x71), .stub(0x72)])
        #expect(try await store.workflow(containing: .stub(0x73))?.traceIDs == [.stub(0x73)])

        // Without the key configured the traces stay apart.
        let plain = try TraceStore(path: temporaryDatabasePath())
        try await Self.run(plain, [[producer], [consumer]])
        #expect(try await plain.workflow(containing: .stub(0x72))?.traceIDs == [.stub(0x72)])
    }

    @Test("two workflows that each filed a pattern, once joined, keep one exception of it: the other is merged into it")
    func mergedOnJoin() async throws {
        let store = try TraceStore(path: temporaryDatabasePath())
        func staleReads(_ trace: UInt64, start: UInt64, links: [SpanLink] = []) -> [Span] {
            (1...3).map { index in
                Span.stub(trace: .stub(trace), span: .stub(index), parent: index == 1 ? nil : .stub(1), start: Self.t0 + start + index,
                          attributes: [Attribute("connector.name", .string("vendor-master")), Attribute("connector.data.age_ms", .int(7_200_000))],
                          links: index == 1 ? links : [])
            }
        }
        try await Self.run(store, [staleReads(0x81, start: 0)])
        try await Self.run(store, [staleReads(0x82, start: 100)])
        #expect(try await store.exceptions(ExceptionFilter(), limit: 50, after: nil).items.count == 2)
        // A late span links the second trace to the first: one workflow, one pattern.
        let join = Span.stub(trace: .stub(0x82), span: .stub(9), parent: .stub(1), start: Self.t0 + 200,
                             links: [SpanLink(traceID: .stub(0x81), spanID: .stub(1))])
        try await Self.run(store, [[join]])
        let listed = try await store.exceptions(ExceptionFilter(), limit: 50, after: nil).items
        #expect(listed.count == 1)
        let kept = try #require(listed.first)
        #expect(kept.trigger.traceID == .stub(0x81))
        let merged = try await store.exceptions(ExceptionFilter(status: .merged), limit: 50, after: nil).items
        #expect(merged.count == 1)
        #expect(merged.first?.mergedInto == kept.id)
        #expect(try await store.exception(id: kept.id)?.history.map(\.action) == ["opened", "merged", "recurred"])
        #expect(try await store.queueStatistics(now: Self.t0).total.open == 1)
    }
}
