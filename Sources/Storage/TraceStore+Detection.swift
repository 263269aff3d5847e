import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

extension TraceStore {
    /// Judges what this round touched, inside the writer's transaction: the keys of new facts,
    /// every key of workflows that merges joined, and every key of the detectors that judge on
    /// each round, in the workflows that got new spans. Then (re)starts the settle window of
    /// workflows holding facts of settling patterns. Returns the exceptions it opened.
    func detect(
        _ db: Database, facts: [(trace: TraceID, detector: String, key: String, count: Int)],
        dropped: [(trace: TraceID, detector: String, key: String)], workflows: Set<Int64>,
        stitcher: WorkflowStitcher<SQLiteWorkflowMembership>, now: UInt64
    ) throws -> [String] {
        let cache = detectionCache
        // Fact counts and exceptions follow merges (cost: the absorbed workflow's keys and
        // exceptions), then the new facts are counted.
        for merge in stitcher.merges {
            try db.cachedStatement(sql: """
                INSERT INTO fact_count (workflow_id, detector, key, count)
                SELECT ?, detector, key, count FROM fact_count WHERE workflow_id = ?
                ON CONFLICT (workflow_id, detector, key) DO UPDATE SET count = fact_count.count + excluded.count
                """).execute(arguments: [merge.survivor, merge.absorbed])
            try db.cachedStatement(sql: "DELETE FROM fact_count WHERE workflow_id = ?").execute(arguments: [merge.absorbed])
            try SQLiteExceptionLedger(db: db, store: self, now: now).mergeDuplicates(absorbed: merge.absorbed, into: merge.survivor)
            try db.cachedStatement(sql: "UPDATE exception SET workflow_id = ? WHERE workflow_id = ?").execute(arguments: [merge.survivor, merge.absorbed])
            try db.cachedStatement(sql: "UPDATE reviewer_approval SET workflow_id = ? WHERE workflow_id = ?").execute(arguments: [merge.survivor, merge.absorbed])
        }
        cache.forget(workflows: Set(stitcher.merges.flatMap { [$0.absorbed, $0.survivor] }))
        if !stitcher.merges.isEmpty { noteQueueChange() }   // a trace's workflow, and so its decisions, may have changed
        var round = detectionRound(db, now: now, settled: false)
        var newCounts: [WorkflowKey: Int] = [:]
        for fact in facts {
            guard let workflow = stitcher.workflow(of: fact.trace) else { continue }
            round.touch(workflow.id, fact.detector, fact.key)
            newCounts[WorkflowKey(workflow: workflow.id, detector: fact.detector, key: fact.key), default: 0] += fact.count
        }
        for fact in dropped {
            guard let workflow = stitcher.workflow(of: fact.trace) else { continue }
            newCounts[WorkflowKey(workflow: workflow.id, detector: fact.detector, key: fact.key), default: 0] -= 1
        }
        for (item, total) in try FactCounts.add(newCounts, db) {
            cache.setCount(total, for: item)
            cache.noteKey(item.key, detector: item.detector, workflow: item.workflow)
        }
        let survivors = Set(stitcher.merges.map(\.survivor))
        let active = workflows.union(survivors)
        for survivor in survivors {
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT detector, key FROM fact_count WHERE workflow_id = ?"), arguments: [survivor]) {
                round.touch(survivor, row["detector"], row["key"])
            }
        }
        // One read per active workflow serves the detectors that judge on every round and the settle windows.
        let everyRound = Set(detectors.filter(\.judgesOnEveryRound).map(\.name))
        let settling = Set(detectors.filter(\.settles).map(\.name))
        var settlingWorkflows: [Int64] = []
        for workflow in active.sorted() {
            var settles = false
            for detector in everyRound.union(settling).sorted() {
                let keys = try cache.keys(workflow: workflow, detector: detector, db)
                if everyRound.contains(detector) { for key in keys { round.touch(workflow, detector, key) } }
                if settling.contains(detector), !keys.isEmpty { settles = true }
            }
            if settles { settlingWorkflows.append(workflow) }
        }
        let opened = try round.judge()

        // Settle windows: absorbed workflows' windows go; active ones restart.
        for merge in stitcher.merges {
            try db.cachedStatement(sql: "DELETE FROM workflow_settle WHERE workflow_id = ?").execute(arguments: [merge.absorbed])
        }
        for workflow in settlingWorkflows {
            try db.cachedStatement(sql: """
                INSERT INTO workflow_settle (workflow_id, due_at_unix_nano) VALUES (?, ?)
                ON CONFLICT (workflow_id) DO UPDATE SET due_at_unix_nano = excluded.due_at_unix_nano
                """).execute(arguments: [workflow, Int64(bitPattern: now &+ settleAfterNanos)])
        }
        return opened
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
            var round = self.detectionRound(db, now: now, settled: true)
            for workflow in due {
                for detector in self.detectors where detector.settles {
                    for key in try self.detectionCache.keys(workflow: workflow, detector: detector.name, db) { round.touch(workflow, detector.name, key) }
                }
                try db.execute(sql: "DELETE FROM workflow_settle WHERE workflow_id = ?", arguments: [workflow])
            }
            let opened = try round.judge()
            if due.count == Self.settleBatch { return (opened, now) }
            let next = try Int64.fetchOne(db, sql: "SELECT min(due_at_unix_nano) FROM workflow_settle").map { UInt64(bitPattern: $0) }
            return (opened, next)
        }
    }

    /// A round judged and filed inside this transaction.
    func detectionRound(_ db: Database, now: UInt64, settled: Bool) -> DetectionRound<SQLiteExceptionLedger> {
        DetectionRound(detectors: detectorsByName, filing: ExceptionFiling(ledger: SQLiteExceptionLedger(db: db, store: self, now: now), owners: owners),
                       settled: settled)
    }
}
