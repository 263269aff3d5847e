import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

extension TraceStore {
    /// The round's detection (`DetectionPass`), inside the writer's transaction: the facts and
    /// dropped facts of traces, placed in the workflows the stitcher put them in. Returns the
    /// exceptions it opened.
    func detect(
        _ db: Database, facts: [(trace: TraceID, detector: String, key: String, count: Int)],
        dropped: [(trace: TraceID, detector: String, key: String)], workflows: Set<Int64>,
        stitcher: WorkflowStitcher<SQLiteWorkflowMembership>, now: UInt64
    ) throws -> [String] {
        let placed = facts.compactMap { fact in
            stitcher.workflow(of: fact.trace).map { (key: WorkflowKey(workflow: $0.id, detector: fact.detector, key: fact.key), count: fact.count) }
        }
        let placedDrops = dropped.compactMap { fact in
            stitcher.workflow(of: fact.trace).map { WorkflowKey(workflow: $0.id, detector: fact.detector, key: fact.key) }
        }
        return try detectionPass(db, now: now).run(merges: stitcher.merges, facts: placed, dropped: placedDrops, workflows: workflows, now: now)
    }

    /// Workflows one settle transaction judges at most: a steady load settles thousands at once,
    /// and one transaction for all of them held the writer (and so ingest) for minutes.
    static let settleBatch = 32

    /// Judges the settling patterns of up to `settleBatch` workflows that have been quiet for
    /// `settle_after` by `now`, in one short write transaction. Returns what it opened and when to
    /// come back: `now` while more are due, else the next window's end (nil: none pending).
    public func settle(now: UInt64) async throws -> (opened: [String], nextDue: UInt64?) {
        try await write { db in
            let due = try Int64.fetchAll(db, sql: """
                SELECT workflow_id FROM workflow_settle WHERE due_at_unix_nano <= ? ORDER BY due_at_unix_nano LIMIT ?
                """, arguments: [Int64(bitPattern: now), Self.settleBatch])
            let opened = try self.detectionPass(db, now: now).settle(due)
            if due.count == Self.settleBatch { return (opened, now) }
            let next = try Int64.fetchOne(db, sql: "SELECT min(due_at_unix_nano) FROM workflow_settle").map { UInt64(bitPattern: $0) }
            return (opened, next)
        }
    }

    /// Detection and filing inside this transaction.
    func detectionPass(_ db: Database, now: UInt64) -> DetectionPass<SQLiteExceptionLedger> {
        detection.pass(SQLiteExceptionLedger(db: db, store: self, now: now))
    }
}
