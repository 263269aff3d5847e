/// Workflows aged out and spans deleted by one retention batch, and the highest workflow id it
/// deleted (the next batch of the same sweep starts after it).
public struct SweptWorkflows: Sendable, Equatable {
    public var workflows = 0
    public var spans = 0
    public var lastWorkflowID: Int64 = 0

    public init(workflows: Int = 0, spans: Int = 0, lastWorkflowID: Int64 = 0) {
        self.workflows = workflows
        self.spans = spans
        self.lastWorkflowID = lastWorkflowID
    }
}
