import TraceModel

/// The persisted trace → workflow membership, as the stitcher reads and changes it (inside the
/// writer's transaction, so membership commits with the spans).
public protocol WorkflowMembership {
    /// The workflow holding `trace`, or nil when neither a span of it nor a link to it was seen.
    func workflow(containing trace: TraceID) throws -> WorkflowRecord?
    /// A new workflow holding `traces` (none of them in a workflow yet; at least one).
    func createWorkflow(for traces: [TraceID]) throws -> WorkflowRecord
    /// Adds `traces` (none of them in a workflow yet) to `workflow`; returns it as it now is.
    func add(_ traces: [TraceID], to workflow: WorkflowRecord) throws -> WorkflowRecord
    /// Moves every trace of `absorbed` into `survivor` and removes `absorbed`; returns the
    /// survivor as it now is (its key the smaller of the two). Costs in proportion to the
    /// traces of `absorbed`, never to the database.
    func merge(_ absorbed: WorkflowRecord, into survivor: WorkflowRecord) throws -> WorkflowRecord
}
