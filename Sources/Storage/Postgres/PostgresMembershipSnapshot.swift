import Correlation
import TraceModel

/// Workflow membership for one round on PostgreSQL. The stitcher asks and changes membership
/// synchronously; PostgreSQL answers asynchronously. So the round reads the rows of its traces
/// up front, the stitcher works on this snapshot, and the changes it made are written after,
/// in order (`PostgresStore.apply`). The round holds the stitching lock from the read to the
/// commit, so no other writer changes those rows in between.
final class PostgresMembershipSnapshot: WorkflowMembership {
    enum Change {
        case create(WorkflowRecord, traces: [TraceID])
        case add([TraceID], to: WorkflowRecord)
        case merge(absorbed: WorkflowRecord, into: WorkflowRecord)
    }

    private var known: [TraceID: WorkflowRecord]
    /// Workflow ids taken from the sequence for the workflows this round may create.
    private var unusedIDs: [Int64]
    private(set) var changes: [Change] = []

    init(known: [TraceID: WorkflowRecord], reservedIDs: [Int64]) {
        self.known = known
        unusedIDs = reservedIDs.reversed()
    }

    func workflow(containing trace: TraceID) throws -> WorkflowRecord? {
        known[trace]
    }

    func createWorkflow(for traces: [TraceID]) throws -> WorkflowRecord {
        guard let key = traces.min() else { throw StorageError("a workflow needs at least one trace") }
        guard let id = unusedIDs.popLast() else { throw StorageError("a stitching round ran out of reserved workflow ids") }
        let record = WorkflowRecord(id: id, key: key, traceCount: traces.count)
        for trace in traces { known[trace] = record }
        changes.append(.create(record, traces: traces))
        return record
    }

    func add(_ traces: [TraceID], to workflow: WorkflowRecord) throws -> WorkflowRecord {
        let record = WorkflowRecord(id: workflow.id, key: min(workflow.key, traces.min() ?? workflow.key),
                                    traceCount: workflow.traceCount + traces.count)
        replace([workflow.id], with: record)
        for trace in traces { known[trace] = record }
        changes.append(.add(traces, to: record))
        return record
    }

    func merge(_ absorbed: WorkflowRecord, into survivor: WorkflowRecord) throws -> WorkflowRecord {
        let merged = WorkflowRecord(id: survivor.id, key: min(absorbed.key, survivor.key), traceCount: absorbed.traceCount + survivor.traceCount)
        replace([absorbed.id, survivor.id], with: merged)
        changes.append(.merge(absorbed: absorbed, into: merged))
        return merged
    }

    /// Points every known trace of the workflows `ids` at `record`.
    private func replace(_ ids: Set<Int64>, with record: WorkflowRecord) {
        for (trace, workflow) in known where ids.contains(workflow.id) { known[trace] = record }
    }
}
