import Correlation
import TestSupport
import Testing
import TraceModel

/// Membership in memory, counting the traces each merge moves.
final class MemoryMembership: WorkflowMembership {
    var traces: [TraceID: Int64] = [:]
    var workflows: [Int64: WorkflowRecord] = [:]
    var movedTraces = 0
    private var nextID: Int64 = 1

    func workflow(containing trace: TraceID) -> WorkflowRecord? {
        traces[trace].flatMap { workflows[$0] }
    }

    func createWorkflow(for trace: TraceID) -> WorkflowRecord {
        let record = WorkflowRecord(id: nextID, key: trace, traceCount: 1)
        nextID += 1
        workflows[record.id] = record
        traces[trace] = record.id
        return record
    }

    func merge(_ absorbed: WorkflowRecord, into survivor: WorkflowRecord) -> WorkflowRecord {
        for (trace, id) in traces where id == absorbed.id {
            traces[trace] = survivor.id
            movedTraces += 1
        }
        workflows[absorbed.id] = nil
        let merged = WorkflowRecord(id: survivor.id, key: min(absorbed.key, survivor.key), traceCount: absorbed.traceCount + survivor.traceCount)
        workflows[survivor.id] = merged
        return merged
    }

    /// The workflows as sets of traces, with their keys.
    var partition: Set<Set<TraceID>> {
        Set(Dictionary(grouping: traces.keys, by: { traces[$0]! }).values.map(Set.init))
    }
}

@Suite("Workflow stitching")
struct WorkflowStitcherTests {
    static func stitch(_ spans: [Span], into membership: MemoryMembership) throws {
        // One stitcher a span: each request is its own transaction.
        for span in spans {
            var stitcher = WorkflowStitcher(membership: membership)
            try stitcher.join(span.traceID)
            for link in span.links { try stitcher.link(span.traceID, to: link.traceID) }
        }
    }

    @Test("every arrival order gives the same workflow with the same name", arguments: WorkflowFixture.ArrivalOrder.allCases)
    func arrivalOrders(order: WorkflowFixture.ArrivalOrder) throws {
        let membership = MemoryMembership()
        try Self.stitch(WorkflowFixture.spans(in: order).map(\.span), into: membership)
        #expect(membership.partition == [[WorkflowFixture.request, WorkflowFixture.worker, WorkflowFixture.retry, WorkflowFixture.batch]])
        #expect(membership.workflows.values.map(\.key) == [WorkflowFixture.request])
        #expect(membership.workflows.values.first?.traceCount == 4)
    }

    @Test("a trace linked to before it arrives is already a member when it does")
    func linkedBeforeArrival() throws {
        let membership = MemoryMembership()
        try Self.stitch([.stub(trace: .stub(2), span: .stub(2), links: [SpanLink(traceID: .stub(1), spanID: .stub(1))])], into: membership)
        #expect(membership.partition == [[.stub(1), .stub(2)]])
        try Self.stitch([.stub(trace: .stub(1), span: .stub(1))], into: membership)
        #expect(membership.partition == [[.stub(1), .stub(2)]])
    }

    @Test("unlinked traces stay apart")
    func apart() throws {
        let membership = MemoryMembership()
        try Self.stitch([.stub(trace: .stub(1)), .stub(trace: .stub(2)), .stub(trace: .stub(1), span: .stub(2))], into: membership)
        #expect(membership.partition == [[.stub(1)], [.stub(2)]])
    }

    /// A span of trace `number` linking to trace `number - 1` (unless it is the first).
    static func chainLink(_ number: UInt64, first: Bool) -> Span {
        let links: [SpanLink] = first ? [] : [SpanLink(traceID: .stub(number - 1), spanID: .stub(1))]
        return Span.stub(trace: .stub(number), span: .stub(1), links: links)
    }

    @Test("a merge moves the smaller workflow's traces, not the larger's")
    func mergeCost() throws {
        let membership = MemoryMembership()
        // A chain of 200 traces: one workflow of 200.
        let big: [Span] = (1...200).map { (index: Int) -> Span in Self.chainLink(UInt64(1000 + index), first: index == 1) }
        try Self.stitch(big, into: membership)
        let small: [Span] = (1...3).map { (index: Int) -> Span in Self.chainLink(UInt64(index), first: index == 1) }
        try Self.stitch(small, into: membership)
        let before = membership.movedTraces
        // Joining the two moves the 3 traces of the small one.
        try Self.stitch([.stub(trace: .stub(3), span: .stub(2), links: [SpanLink(traceID: .stub(1100), spanID: .stub(1))])], into: membership)
        #expect(membership.movedTraces - before == 3)
        #expect(membership.partition.count == 1)
        #expect(membership.workflows.values.first?.key == .stub(1))
        // Growing a chain one trace at a time moves one trace each time: linear, not quadratic.
        #expect(before == 199 + 2)
    }
}
