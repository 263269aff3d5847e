import Correlation
import Detection
import Foundation
import Logging
import Storage
import Testing
import TestSupport
import TraceModel

/// Two Causeway instances writing to one PostgreSQL database at once (DESIGN.md §11): a
/// workflow's linked traces sent half to each, shuffled, come out as one workflow with the causal
/// paths one SQLite store gives for the same spans, and re-delivery to the other instance, while
/// the first delivery is still in flight, stores nothing twice.
@Suite("Several writers on one PostgreSQL", .enabled(if: PostgresTestDatabase.serverURL != nil, "needs Tests/Postgres/run.sh"))
struct PostgresWritersTests {
    /// The exceptions a store filed, as comparable text: id, class, status, occurrences, trigger,
    /// call id and merged-into, sorted by id (each with a history that begins where it was opened).
    static func exceptions(_ store: some ExceptionQueue) async throws -> [String] {
        var filed: [String] = []
        var cursor: ExceptionCursor?
        repeat {
            var filter = ExceptionFilter()
            filter.statuses = [.open, .acknowledged, .resolved, .dismissed, .merged]
            let page = try await store.exceptions(filter, order: .newest, limit: 50, after: cursor, now: 0)
            for item in page.items {
                let history = try #require(try await store.exception(id: item.id)).history.map(\.action)
                #expect(["opened", "rekeyed"].contains(history.first ?? ""), "\(item.id): \(history)")
                filed.append([item.id, item.exceptionClass, item.status.rawValue, String(item.occurrences), item.trigger.traceID.hex,
                              item.trigger.spanID.hex, item.callID ?? "-", item.mergedInto ?? "-"].joined(separator: " "))
            }
            cursor = page.next
        } while cursor != nil
        return filed.sorted()
    }

    /// Writes the requests through a running writer, all at once or one after another.
    static func write(_ requests: [TraceBatch], with writer: SpanWriter, concurrently: Bool = true) async throws {
        let running = Task { try await writer.run() }
        if concurrently {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for request in requests { group.addTask { try await writer.write(request) } }
                try await group.waitForAll()
            }
        } else {
            for request in requests { try await writer.write(request) }
        }
        writer.finish()
        try await running.value
    }

    static func paths(_ reader: some WorkflowReader, _ spans: [Span]) async throws -> [String] {
        var paths: [String] = []
        for span in spans where span.spanID == .stub(4) {
            let path = try #require(try await reader.causalPath(to: SpanReference(span)))
            paths.append(path.path.hops.map { "\($0.reference.traceID.hex)/\($0.reference.spanID.hex)/\($0.relation.rawValue)" }.joined(separator: " "))
        }
        return paths
    }

    @Test("a workflow's traces sent half to each of two instances, concurrently, make the one workflow SQLite makes")
    func twoInstances() async throws {
        let spans = LinkedWorkflowFixture.spans(traces: 40)
        let reference = try TraceStore(path: temporaryDatabasePath())
        try await Self.write(LinkedWorkflowFixture.tracesShuffled(spans, seed: 1), with: SpanWriter(store: reference, logger: Logger(label: "sqlite")),
                             concurrently: false)
        try await StoreContractTests.settleAll(reference)

        for seed: UInt64 in [2, 3, 4] {
            let database = try await PostgresTestDatabase.create()
            let (first, runningFirst) = try await database.open()
            let (second, runningSecond) = try await database.open()
            defer { runningFirst.cancel(); runningSecond.cancel() }
            let requests = LinkedWorkflowFixture.tracesShuffled(spans, seed: seed)
            let half = requests.count / 2
            // Half to each instance, and at the same time every request again to the other one:
            // the same spans are in flight, uncommitted, on both instances at once.
            async let one: Void = Self.write(Array(requests[..<half]) + Array(requests[half...]),
                                             with: SpanWriter(store: first, logger: Logger(label: "first")))
            async let two: Void = Self.write(Array(requests[half...]) + Array(requests[..<half]),
                                             with: SpanWriter(store: second, logger: Logger(label: "second")))
            _ = try await (one, two)
            // The workflow goes quiet; either instance's settle pass settles it, once.
            async let settledFirst: Void = StoreContractTests.settleAll(first)
            async let settledSecond: Void = StoreContractTests.settleAll(second)
            _ = try await (settledFirst, settledSecond)

            for reader in [first, second] {
                let workflow = try #require(try await reader.workflow(containing: LinkedWorkflowFixture.trace(39)))
                #expect(workflow.traceIDs.count == 40, "seed \(seed)")
                #expect(workflow.record.traceCount == 40, "seed \(seed): the merged trace counts add up")
                #expect(workflow.spans.count == spans.count, "seed \(seed)")
                #expect(Set(workflow.spans.map { SpanReference($0.span) }).count == spans.count, "seed \(seed): nothing stored twice")
                #expect(workflow.record.key == LinkedWorkflowFixture.trace(0))
                for trace in 0..<40 {   // every trace in that one workflow, none left in another
                    #expect(try await reader.workflow(containing: LinkedWorkflowFixture.trace(trace))?.record.id == workflow.record.id)
                }
            }
            #expect(try await Self.paths(second, spans) == (try await Self.paths(reference, spans)), "seed \(seed)")
            // The same exceptions, ids and triggers included, on both instances as on SQLite given the
            // spans in another order (their histories differ with the order: compared without them).
            let expected = try await Self.exceptions(reference).filter { !$0.contains(" merged ") }
            #expect(expected.contains { $0.contains(" repeat_failure open ") } && expected.contains { $0.contains(" stale_connector_data open ") })
            for reader in [first, second] {
                #expect(try await Self.exceptions(reader).filter { !$0.contains(" merged ") } == expected, "seed \(seed)")
            }
        }
    }

    @Test("a due notification is taken by one instance at a time, and by another once the first has let its lease pass")
    func outboxLease() async throws {
        let plan = NotificationPlan(routes: [.init(name: "hook", events: ["opened"])]) { _, event, record, _, _ in Array("\(event) \(record.id)".utf8) }
        let database = try await PostgresTestDatabase.create()
        let (first, runningFirst) = try await database.open(notifications: plan)
        let (second, runningSecond) = try await database.open(notifications: plan)
        defer { runningFirst.cancel(); runningSecond.cancel() }
        let stale = { (span: UInt64) in
            Span.stub(trace: .stub(0x57), span: .stub(span), parent: span == 1 ? nil : .stub(1), start: LinkedWorkflowFixture.t0 + span,
                      attributes: [Attribute("connector.name", .string("vendor-master")), Attribute("connector.data.age_ms", .int(7_200_000))])
        }
        try await Self.write([.stub(service: "vendor-sync", spans: [stale(1), stale(2)])], with: SpanWriter(store: first, logger: Logger(label: "first")))
        let now = UInt64(Date().timeIntervalSince1970 * 1e9) + 60_000_000_000
        async let one = first.dueDeliveries(now: now, limit: 10)
        async let two = second.dueDeliveries(now: now, limit: 10)
        let (taken, other) = try await (one, two)
        #expect(taken.count + other.count == 1, "one instance takes it")
        #expect(try await second.dueDeliveries(now: now + 1_000, limit: 10).isEmpty)
        // The instance that took it died without a word: once the lease has passed, another takes it.
        let retaken = try await second.dueDeliveries(now: now + 61_000_000_000, limit: 10)
        #expect(retaken.map(\.deliveryID) == (taken + other).map(\.deliveryID))
    }
}
