/// One detector's key in one workflow: what a detection round judges, and what the writer
/// keeps a fact count for.
public struct WorkflowKey: Hashable, Sendable {
    public var workflow: Int64
    public var detector: String
    public var key: String

    public init(workflow: Int64, detector: String, key: String) {
        self.workflow = workflow
        self.detector = detector
        self.key = key
    }
}
