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

    func createWorkflow(for newTraces: [TraceID]) -> WorkflowRecord {
        let record = WorkflowRecord(id: nextID, key: newTraces.min()!, traceCount: newTraces.count)
        nextID += 1
        workflows[record.id] = record
        for trace in newTraces { traces[trace] = record.id }
        return record
    }

    func add(_ newTraces: [TraceID], to workflow: WorkflowRecord) -> WorkflowRecord {
        let record = WorkflowRecord(id: workflow.id, key: min(workflow.key, newTraces.min()!), traceCount: workflow.traceCount + newTraces.count)
        workflows[record.id] = record
        for trace in newTraces { traces[trace] = record.id }
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
        // One round a span: each request is its own transaction.
        for span in spans {
            var stitcher = WorkflowStitcher(membership: membership)
            try stitcher.stitch(traces: [span.traceID], links: span.links.map { (span.traceID, $0.traceID) })
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
        // Growing a chain one trace at a time moves nothing: each new trace joins the stored workflow.
        #expect(before == 0)
    }

    @Test("traces new in one round are grouped in memory: one workflow created, none merged away")
    func oneRound() throws {
        let membership = MemoryMembership()
        var stitcher = WorkflowStitcher(membership: membership)
        let chain: [(from: TraceID, to: TraceID)] = (2...50).map { (TraceID.stub(UInt64($0)), TraceID.stub(UInt64($0 - 1))) }
        try stitcher.stitch(traces: (1...50).map { TraceID.stub(UInt64($0)) } + [.stub(99)], links: chain)
        #expect(membership.workflows.count == 2)
        #expect(stitcher.merges.isEmpty)
        #expect(stitcher.workflow(of: .stub(50))?.traceCount == 50)
        #expect(stitcher.workflow(of: .stub(50))?.key == .stub(1))
        #expect(stitcher.workflow(of: .stub(99))?.traceCount == 1)
    }

    @Test("a round that joins stored workflows merges each smaller one into the largest")
    func roundJoiningStored() throws {
        let membership = MemoryMembership()
        try Self.stitch((1...10).map { Self.chainLink(UInt64(100 + $0), first: $0 == 1) }, into: membership)
        try Self.stitch((1...3).map { Self.chainLink(UInt64(200 + $0), first: $0 == 1) }, into: membership)
        try Self.stitch((1...2).map { Self.chainLink(UInt64(300 + $0), first: $0 == 1) }, into: membership)
        var stitcher = WorkflowStitcher(membership: membership)
        try stitcher.stitch(traces: [.stub(400)], links: [(.stub(400), .stub(203)), (.stub(400), .stub(302)), (.stub(400), .stub(105))])
        #expect(membership.movedTraces == 5)
        #expect(membership.partition.count == 1)
        #expect(stitcher.merges.count == 2)
        #expect(stitcher.workflow(of: .stub(400))?.traceCount == 16)
        #expect(stitcher.workflow(of: .stub(400))?.key == .stub(101))
    }

    /// Two traces of one stored workflow in different components of a round: the first component
    /// leaves it as it was, the second merges it into a larger one. Every trace the round touched
    /// must answer with the workflow it ended in (the writer counts new spans and facts into it;
    /// the absorbed one no longer exists).
    @Test("a workflow merged away by a later component of the round: its traces answer with the survivor")
    func mergedByALaterComponent() throws {
        let membership = MemoryMembership()
        let small = membership.createWorkflow(for: [.stub(1), .stub(3)])
        let large = membership.createWorkflow(for: [.stub(5), .stub(6), .stub(7)])
        var stitcher = WorkflowStitcher(membership: membership)
        // Trace 1 gets a span on its own; trace 3 gets one that links to trace 5.
        try stitcher.stitch(traces: [.stub(1), .stub(3)], links: [(.stub(3), .stub(5))])
        #expect(stitcher.merges.map(\.absorbed) == [small.id])
        for trace: TraceID in [.stub(1), .stub(3), .stub(5)] {
            #expect(stitcher.workflow(of: trace)?.id == large.id, "trace \(trace.low)")
            #expect(stitcher.workflow(of: trace)?.traceCount == 5, "trace \(trace.low)")
        }
    }
}
