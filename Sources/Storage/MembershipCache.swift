import Correlation
import Synchronization
import TraceModel

/// What the writer knows of workflow membership without asking SQLite: trace → workflow, with
/// merged workflows forwarding to their survivor (a union-find with path compression). Only the
/// writer changes membership, so the cache stays exact; it is emptied on a rollback and when it
/// grows past `maxTraces`.
final class MembershipCache: Sendable {
    struct State {
        var workflowOfTrace: [TraceID: Int64] = [:]
        var records: [Int64: WorkflowRecord] = [:]
        var forward: [Int64: Int64] = [:]
    }

    static let maxTraces = 250_000
    private let state = Mutex(State())

    func workflow(containing trace: TraceID) -> WorkflowRecord? {
        state.withLock { state in
            guard var id = state.workflowOfTrace[trace] else { return nil }
            while let next = state.forward[id] { id = next }
            state.workflowOfTrace[trace] = id
            return state.records[id]
        }
    }

    /// `trace` belongs to `record` (found in the database or just created).
    func remember(_ trace: TraceID, in record: WorkflowRecord) {
        state.withLock { state in
            if state.workflowOfTrace.count >= Self.maxTraces { state = State() }
            state.workflowOfTrace[trace] = record.id
            state.records[record.id] = record
        }
    }

    func merged(_ absorbed: WorkflowRecord, into survivor: WorkflowRecord) {
        state.withLock { state in
            state.records[absorbed.id] = nil
            state.forward[absorbed.id] = survivor.id
            state.records[survivor.id] = survivor
        }
    }

    /// Deleted workflows and their traces: a trace that comes back later starts afresh.
    func forget(traces: [TraceID], workflows: [Int64]) {
        state.withLock { state in
            for trace in traces { state.workflowOfTrace[trace] = nil }
            for workflow in workflows { state.records[workflow] = nil }
        }
    }

    func clear() {
        state.withLock { $0 = State() }
    }
}
