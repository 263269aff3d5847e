import Correlation
import TraceModel

/// Workflows, traces and causal paths as the API and the dashboard read them.
public protocol WorkflowReader: Sendable {
    func workflow(containing trace: TraceID) async throws -> StoredWorkflow?
    func causalPath(to reference: SpanReference) async throws -> (path: CausalPath, workflow: WorkflowRecord, linkedBy: [SpanReference])?
    func spans(inTrace traceID: TraceID) async throws -> [StoredSpan]
    /// How many spans the store holds.
    func spanCount() async throws -> Int
}
