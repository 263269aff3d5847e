import Correlation
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
    static let t0: UInt64 = 1_700_000_000_000_000_000

    /// `traces` traces of 4 spans; trace k's root links to a span of trace (k-1)/3, every 5th
    /// root also to the trace before it (fan-out and fan-in, as retries and batches make).
    static func workflow(traces: Int) -> [Span] {
        var spans: [Span] = []
        for trace in 0..<traces {
            let id = TraceID.stub(0x7000 + UInt64(trace))
            for position in 0..<4 {
                var links: [SpanLink] = []
                if position == 0, trace > 0 {
                    links.append(SpanLink(traceID: .stub(0x7000 + UInt64((trace - 1) / 3)), spanID: .stub(UInt64(1 + trace % 4))))
                    if trace % 5 == 0 { links.append(SpanLink(traceID: .stub(0x7000 + UInt64(trace - 1)), spanID: .stub(2))) }
                }
                spans.append(Span.stub(trace: id, span: .stub(UInt64(position + 1)), parent: position == 0 ? nil : .stub(UInt64(position)),
                                       name: position == 0 ? "process job" : "step \(position)", start: t0 + UInt64(trace * 10 + position),
                                       links: links))
            }
        }
        return spans
    }

    /// Requests of 3 spans in a shuffled (seeded) order.
    static func requests(_ spans: [Span], seed: UInt64) -> [TraceBatch] {
        var random = SeededRandom(seed: seed)
        let shuffled = spans.shuffled(using: &random)
        return stride(from: 0, to: shuffled.count, by: 3).map { start in
            TraceBatch.stub(service: "jobs", spans: Array(shuffled[start..<min(start + 3, shuffled.count)]))
        }
    }

    /// Writes the requests through a running writer, `concurrency` at a time.
    static func write(_ requests: [TraceBatch], with writer: SpanWriter) async throws {
        let running = Task { try await writer.run() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in requests { group.addTask { try await writer.write(request) } }
            try await group.waitForAll()
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
        let spans = Self.workflow(traces: 40)
        let reference = try TraceStore(path: temporaryDatabasePath())
        try await Self.write(Self.requests(spans, seed: 1), with: SpanWriter(store: reference, logger: Logger(label: "sqlite")))

        for seed: UInt64 in [2, 3, 4] {
            let database = try await PostgresTestDatabase.create()
            let (first, runningFirst) = try await database.open()
            let (second, runningSecond) = try await database.open()
            defer { runningFirst.cancel(); runningSecond.cancel() }
            let requests = Self.requests(spans, seed: seed)
            let half = requests.count / 2
            // Half to each instance, and at the same time every request again to the other one:
            // the same spans are in flight, uncommitted, on both instances at once.
            async let one: Void = Self.write(Array(requests[..<half]) + Array(requests[half...]),
                                             with: SpanWriter(store: first, logger: Logger(label: "first")))
            async let two: Void = Self.write(Array(requests[half...]) + Array(requests[..<half]),
                                             with: SpanWriter(store: second, logger: Logger(label: "second")))
            _ = try await (one, two)

            for reader in [first, second] {
                let workflow = try #require(try await reader.workflow(containing: .stub(0x7000 + 39)))
                #expect(workflow.traceIDs.count == 40, "seed \(seed)")
                #expect(workflow.record.traceCount == 40, "seed \(seed): the merged trace counts add up")
                #expect(workflow.spans.count == spans.count, "seed \(seed)")
                #expect(Set(workflow.spans.map { SpanReference($0.span) }).count == spans.count, "seed \(seed): nothing stored twice")
                #expect(workflow.record.key == .stub(0x7000))
                for trace in 0..<40 {   // every trace in that one workflow, none left in another
                    #expect(try await reader.workflow(containing: .stub(0x7000 + UInt64(trace)))?.record.id == workflow.record.id)
                }
            }
            #expect(try await Self.paths(second, spans) == (try await Self.paths(reference, spans)), "seed \(seed)")
        }
    }
}
