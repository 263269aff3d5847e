/// What the settle and breach timer needs of a store: each call one short write transaction.
public protocol QueueMaintenance: Sendable {
    /// Judges the settling patterns of workflows quiet since `settle_after`; returns what it
    /// opened and when to come back (nil: nothing pending).
    func settle(now: UInt64) async throws -> (opened: [String], nextDue: UInt64?)
    /// Marks active items past their due time breached (escalating where a rule says so).
    func breachOverdue(now: UInt64) async throws -> (breached: [String], nextDue: UInt64?)
    /// Refreshes the query planner's statistics of the queue.
    func analyzeQueue() async throws
}
