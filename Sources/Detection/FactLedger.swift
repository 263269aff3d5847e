/// What a detection pass needs of a store beyond filing (`ExceptionLedger`), inside the writer's
/// transaction: the fact counts and keys of each workflow, what a merge of two workflows moves,
/// and the settle windows. Each store implements it; `DetectionPass` decides what to ask.
public protocol FactLedger: ExceptionLedger {
    /// For each merge, in the order the stitcher made them: the absorbed workflow's fact counts,
    /// exceptions (one per pattern: duplicates merged into the one opened first) and reviewer
    /// approvals now belong to the survivor.
    func mergeWorkflows(_ merges: [(absorbed: Int64, survivor: Int64)]) throws
    /// Adds `deltas` to the fact counts of their keys.
    func addCounts(_ deltas: [WorkflowKey: Int]) throws
    /// The keys `detector` has facts for in the workflow, in key order.
    func keys(workflow: Int64, detector: String) throws -> [String]
    /// Whether `detector` has facts in the workflow.
    func hasKeys(workflow: Int64, detector: String) throws -> Bool
    /// Every key with facts in the workflow, of every detector.
    func allKeys(workflow: Int64) throws -> [(detector: String, key: String)]
    /// Ends the workflows' settle windows (nil) or (re)starts them, to end at `dueAt`.
    func setSettleWindows(_ workflows: [Int64], dueAt: UInt64?) throws
}

extension FactLedger {
    public func hasKeys(workflow: Int64, detector: String) throws -> Bool {
        try !keys(workflow: workflow, detector: detector).isEmpty
    }
}
