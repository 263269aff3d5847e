import TraceModel

/// A workflow as membership knows it: its row id, its name and how many traces it holds.
public struct WorkflowRecord: Hashable, Sendable {
    public var id: Int64
    /// The smallest trace id among its traces: names the workflow (`wf_<hex>`), and depends only
    /// on which traces it holds, never on the order they arrived in.
    public var key: TraceID
    public var traceCount: Int

    public init(id: Int64, key: TraceID, traceCount: Int) {
        self.id = id
        self.key = key
        self.traceCount = traceCount
    }

    /// The id the API shows.
    public var name: String { "wf_" + key.hex }
}
