/// What one round brings that may move a filed pattern's trigger (`DetectionContext.mayRetrigger`):
/// the earliest start of the round's new facts of each key, and the workflows merges joined.
/// Kept by a store's ledger for the length of one round (`FactLedger.noteRound`).
public final class RetriggerHints {
    private var earliest: [WorkflowKey: UInt64] = [:]
    private var merged: Set<Int64> = []

    public init() {}

    public func note(earliestNewFacts: [WorkflowKey: UInt64], merged: Set<Int64>) {
        earliest = earliestNewFacts
        self.merged = merged
    }

    /// Whether the trigger of `detector`'s `key` in `workflow`, which started at `triggerStart`
    /// (nil: unknown), may have moved this round.
    public func mayRetrigger(workflow: Int64, detector: String, key: String, triggerStart: UInt64?) -> Bool {
        guard let triggerStart, !merged.contains(workflow) else { return true }
        return earliest[WorkflowKey(workflow: workflow, detector: detector, key: key)].map { $0 <= triggerStart } ?? false
    }
}
