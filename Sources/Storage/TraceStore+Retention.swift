import Correlation
import Foundation
import GRDB
import TraceModel

/// Retention (DESIGN.md §10). A workflow ages out whole once nothing has been received in it for
/// the retention period and it has no open or acknowledged exception, so a causal path is never
/// cut in half. Before its spans go, each exception it holds gets its story frozen in: the spans
/// of every trace its causal path or receipts touch (`evidence_span`, `evidence_link`), so an old
/// item still shows its path, receipts and evidence.
extension TraceStore {
    /// Workflows aged out and spans deleted by one sweep batch, and the highest workflow id it
    /// deleted (the next batch of the same sweep starts after it).
    public struct Swept: Sendable, Equatable {
        public var workflows = 0
        public var spans = 0
        public var lastWorkflowID: Int64 = 0
    }

    /// Deletes up to `limit` workflows with ids above `after` last received into before `cutoff`
    /// (and not held by an active exception), in one write transaction.
    public func sweepExpired(receivedBefore cutoff: UInt64, after: Int64 = 0, limit: Int = 200) async throws -> Swept {
        try await write { db -> Swept in
            // Oldest first by id (workflows are numbered as they are made), with no index on the
            // receive time: the writer updates it with every batch, and an index would pay for that.
            let expired = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, key_trace_id FROM workflow
                WHERE id > ? AND last_received_at_unix_nano < ?
                  AND NOT EXISTS (SELECT 1 FROM exception WHERE exception.workflow_id = workflow.id AND status IN \(QueueCounters.active))
                ORDER BY id LIMIT ?
                """), arguments: [after, Int64(bitPattern: cutoff), limit])
            var swept = Swept(lastWorkflowID: after)
            var traces: [TraceID] = []
            var workflows: [Int64] = []
            for row in expired {
                let workflow: Int64 = row["id"]
                let key: Data = row["key_trace_id"]
                for exception in try Row.fetchAll(db.cachedStatement(sql: ExceptionRecord.selection + " WHERE exception.workflow_id = ?"), arguments: [workflow]) {
                    try Self.freezeEvidence(of: try ExceptionRecord(row: exception), workflowKey: key, db)
                }
                for trace in try Data.fetchAll(db.cachedStatement(sql: "SELECT trace_id FROM workflow_trace WHERE workflow_id = ?"), arguments: [workflow]) {
                    for table in ["span_link", "span", "detection_fact", "failed_child", "correlation_value"] {
                        try db.cachedStatement(sql: "DELETE FROM \(table) WHERE trace_id = ?").execute(arguments: [trace])
                        if table == "span" { swept.spans += db.changesCount }
                    }
                    if let id = TraceID(data: trace) { traces.append(id) }
                }
                for table in ["workflow_trace", "fact_count", "workflow_settle", "reviewer_approval", "workflow"] {
                    try db.cachedStatement(sql: "DELETE FROM \(table) WHERE \(table == "workflow" ? "id" : "workflow_id") = ?").execute(arguments: [workflow])
                }
                swept.workflows += 1
                swept.lastWorkflowID = workflow
                workflows.append(workflow)
            }
            // Only what was deleted leaves the writer's caches (here, before another write can
            // use them): emptying them made every batch after a sweep read its workflows back
            // from disk. Forgetting is safe even if this transaction rolls back.
            self.forgetCachedWorkflows(workflows, traces: traces)
            return swept
        }
    }

    /// Copies the spans of every trace an exception's causal path or receipts touch into the
    /// evidence tables, marking the spans its pattern counted (its receipts' attempts).
    static func freezeEvidence(of record: ExceptionRecord, workflowKey: Data, _ db: Database) throws {
        let attempts = try countedAttempts(record, db)
        let path = try CausalPath.to(record.trigger, in: SQLiteSpanLookup(db: db))
        var traces = Set(attempts.map(\.traceID) + (path?.hops.map(\.reference.traceID) ?? []))
        traces.insert(record.trigger.traceID)
        for trace in traces {
            try db.execute(sql: "INSERT OR IGNORE INTO evidence_span SELECT ?, span.*, 0 FROM span WHERE trace_id = ?",
                           arguments: [record.id, Data(trace.bytes)])
            try db.execute(sql: "INSERT OR IGNORE INTO evidence_link SELECT ?, span_link.* FROM span_link WHERE trace_id = ?",
                           arguments: [record.id, Data(trace.bytes)])
        }
        for attempt in attempts {
            try db.execute(sql: "UPDATE evidence_span SET receipt = 1 WHERE exception_id = ? AND trace_id = ? AND span_id = ?",
                           arguments: [record.id, Data(attempt.traceID.bytes), Data(attempt.spanID.bytes)])
        }
        try db.execute(sql: "UPDATE exception SET frozen_workflow_key = ? WHERE id = ?", arguments: [workflowKey, record.id])
    }

    /// The spans the exception's pattern counted (its facts), for its receipts.
    static func countedAttempts(_ record: ExceptionRecord, _ db: Database) throws -> [SpanReference] {
        guard let pattern = record.dedupeKey else { return [] }
        return try FactQueries.facts(db, workflow: record.workflowID, detector: pattern.detector, key: pattern.key).map(\.reference)
    }

    /// Gives free pages back to the file system, a few at a time (`auto_vacuum = INCREMENTAL`).
    public func vacuumIncrementally(pages: Int = 4096) async throws {
        try await write { db in try db.execute(sql: "PRAGMA incremental_vacuum(\(pages))") }
    }
}
