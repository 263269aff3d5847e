import TraceModel

/// Joins traces into workflows as their spans arrive: a trace joins the workflow that holds it
/// (or a new one), and a link joins the linking trace's workflow with the linked trace's. The
/// linked trace becomes a member even before any of its spans arrive, so whatever order the
/// pieces come in, they meet in one workflow. Merges move the smaller workflow into the larger.
public struct WorkflowStitcher<Membership: WorkflowMembership> {
    public let membership: Membership
    /// Workflows looked up or changed in this round, by trace.
    private var known: [TraceID: WorkflowRecord] = [:]
    /// Each merge made, as (absorbed, survivor) workflow ids.
    public private(set) var merges: [(absorbed: Int64, survivor: Int64)] = []

    public init(membership: Membership) {
        self.membership = membership
    }

    /// The workflow holding `trace`, created if the trace is new.
    @discardableResult
    public mutating func join(_ trace: TraceID) throws -> WorkflowRecord {
        if let record = known[trace] { return record }
        let record = try membership.workflow(containing: trace) ?? membership.createWorkflow(for: trace)
        known[trace] = record
        return record
    }

    /// Records that a span of `trace` links to a span of `linkedTrace`: both end in one workflow.
    public mutating func link(_ trace: TraceID, to linkedTrace: TraceID) throws {
        let first = try join(trace)
        let second = try join(linkedTrace)
        guard first.id != second.id else { return }
        let (absorbed, survivor) = first.traceCount < second.traceCount || (first.traceCount == second.traceCount && first.id > second.id)
            ? (first, second) : (second, first)
        let merged = try membership.merge(absorbed, into: survivor)
        merges.append((absorbed.id, survivor.id))
        for (trace, record) in known where record.id == absorbed.id || record.id == survivor.id {
            known[trace] = merged
        }
    }

    /// The workflow holding `trace` as this round left it (after `join`).
    public func workflow(of trace: TraceID) -> WorkflowRecord? { known[trace] }
}
