import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

/// Retention (DESIGN.md §10). A workflow ages out whole once nothing has been received in it for
/// the retention period and it has no open or acknowledged exception, so a causal path is never
/// cut in half. A workflow that never goes quiet (a scheduler every job links to, a long-lived
/// agent) loses its old traces one by one instead: a trace all of whose spans were received
/// before the cutoff ages out while the workflow lives on, unless the workflow holds an open or
/// acknowledged exception. Before spans go, each exception of their workflow gets its story frozen
/// in: the spans of every trace its causal path or receipts touch (`evidence_span`,
/// `evidence_link`), so an old item still shows its path, receipts and evidence.
extension TraceStore: RetentionStore {
    /// Deletes up to `limit` workflows with ids above `after` last received into before `cutoff`
    /// (and not held by an active exception), in one write transaction.
    public func sweepExpired(receivedBefore cutoff: UInt64, after: Int64, limit: Int) async throws -> SweptWorkflows {
        try await write { db -> SweptWorkflows in
            // Oldest first by id (workflows are numbered as they are made), with no index on the
            // receive time: the writer updates it with every batch, and an index would pay for that.
            let expired = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, key_trace_id FROM workflow
                WHERE id > ? AND last_received_at_unix_nano < ?
                  AND NOT EXISTS (SELECT 1 FROM exception WHERE exception.workflow_id = workflow.id AND status IN \(QueueCounters.active))
                ORDER BY id LIMIT ?
                """), arguments: [after, Int64(bitPattern: cutoff), limit])
            var swept = SweptWorkflows(lastWorkflowID: after)
            var traces: [TraceID] = []
            var workflows: [Int64] = []
            for row in expired {
                let workflow: Int64 = row["id"]
                let key: Data = row["key_trace_id"]
                for exception in try Row.fetchAll(db.cachedStatement(sql: ExceptionRecord.selection + " WHERE exception.workflow_id = ?"), arguments: [workflow]) {
                    try Self.freezeEvidence(of: try ExceptionRecord(row: exception), workflowKey: key, plan: self.plan, db)
                }
                for trace in try Data.fetchAll(db.cachedStatement(sql: "SELECT trace_id FROM workflow_trace WHERE workflow_id = ?"), arguments: [workflow]) {
                    for table in Self.traceTables + ["correlation_value"] {
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

    /// The tables that hold a trace's spans and what was read off them, by `trace_id`.
    static let traceTables = ["span_link", "span", "detection_fact", "failed_child"]

    /// Rows of `workflow_trace_by_age` one batch examines at most, so a batch's transaction stays
    /// short however many old traces cannot go yet (still receiving, held by an open item, or
    /// known only from links).
    static let agedTraceScan = 1000

    /// Ages out the traces of workflows that live on (see above) among the next
    /// `agedTraceScan` rows after `cursor`, oldest first: their spans, links and stored facts go
    /// (the facts stay counted); their membership stays, marked `aged_out` (the trace answers as
    /// unknown, the workflow keeps its name, and a late span of the trace joins it again). Traces
    /// known only from links (marked, so later sweeps pass them by), and the correlation values a
    /// trace was the first to carry, are kept: they are how later traces find the workflow. Returns the traces and
    /// spans it deleted and where the next batch starts (nil: the sweep is done).
    public func sweepAgedTraces(receivedBefore cutoff: UInt64, after cursor: AgedTraceCursor? = nil)
        async throws -> (traces: Int, spans: Int, next: AgedTraceCursor?) {
        try await write { db -> (traces: Int, spans: Int, next: AgedTraceCursor?) in
            let examined = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT trace_id, first_received_at_unix_nano FROM workflow_trace INDEXED BY workflow_trace_by_age
                WHERE aged_out = 0 AND first_received_at_unix_nano < ?1 AND (first_received_at_unix_nano, trace_id) > (?2, ?3)
                ORDER BY first_received_at_unix_nano, trace_id LIMIT ?4
                """), arguments: [Int64(bitPattern: cutoff), cursor?.firstReceivedAtUnixNano ?? Int64.min, cursor?.traceID ?? Data(), Self.agedTraceScan])
            guard let last = examined.last else { return (0, 0, nil) }
            let next = AgedTraceCursor(firstReceivedAtUnixNano: last["first_received_at_unix_nano"], traceID: last["trace_id"])
            var swept = (traces: 0, spans: 0, next: Optional(next))
            var frozenWorkflows: Set<Int64> = []
            var linkOnly = 0
            for candidate in examined {
                let trace: Data = candidate["trace_id"]
                guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT workflow_trace.workflow_id, workflow.key_trace_id
                    FROM workflow_trace JOIN workflow ON workflow.id = workflow_trace.workflow_id
                    WHERE workflow_trace.trace_id = ?1
                      AND EXISTS (SELECT 1 FROM span WHERE span.trace_id = ?1)
                      AND NOT EXISTS (SELECT 1 FROM span WHERE span.trace_id = ?1 AND span.received_at_unix_nano >= ?2)
                      AND NOT EXISTS (SELECT 1 FROM exception WHERE exception.workflow_id = workflow_trace.workflow_id
                                      AND status IN \(QueueCounters.active))
                    """), arguments: [trace, Int64(bitPattern: cutoff)]) else {
                    // Known only from links (no span of it stored): it stays, for the traces that
                    // find the workflow through it, but is marked so later sweeps pass it by
                    // instead of examining it again each time; a span of it brings it back.
                    // A workflow an active item holds is kept whole, those too.
                    if try Bool.fetchOne(db.cachedStatement(sql: """
                        SELECT NOT EXISTS (SELECT 1 FROM span WHERE trace_id = ?1)
                           AND NOT EXISTS (SELECT 1 FROM workflow_trace JOIN exception ON exception.workflow_id = workflow_trace.workflow_id
                                           WHERE workflow_trace.trace_id = ?1 AND exception.status IN \(QueueCounters.active))
                        """), arguments: [trace]) == true {
                        try db.cachedStatement(sql: "UPDATE workflow_trace SET aged_out = 1 WHERE trace_id = ?").execute(arguments: [trace])
                        linkOnly += 1
                    }
                    continue
                }
                let workflow: Int64 = row["workflow_id"]
                if frozenWorkflows.insert(workflow).inserted {
                    // The closed items of the workflow keep their story as it was before any of it goes.
                    for exception in try Row.fetchAll(db.cachedStatement(sql: ExceptionRecord.selection + """
                         WHERE exception.workflow_id = ? AND exception.frozen_workflow_key IS NULL AND exception.status != 'merged'
                        """), arguments: [workflow]) {
                        try Self.freezeEvidence(of: try ExceptionRecord(row: exception), workflowKey: row["key_trace_id"], plan: self.plan, db)
                    }
                }
                // Its facts stay counted: a pattern's count is how often it happened in the workflow,
                // kept or aged out, so a closed item whose pattern recurs reopens as it would have
                // with nothing aged (its trigger, read again, comes from the facts still kept). What
                // the writer knows of the workflow's first facts is read again.
                self.detectionCache.forget(workflows: [workflow])
                var spans = 0
                for table in Self.traceTables {
                    try db.cachedStatement(sql: "DELETE FROM \(table) WHERE trace_id = ?").execute(arguments: [trace])
                    if table == "span" { spans = db.changesCount }
                }
                try db.cachedStatement(sql: "UPDATE workflow_trace SET aged_out = 1 WHERE trace_id = ?").execute(arguments: [trace])
                try db.cachedStatement(sql: "UPDATE workflow SET span_count = max(0, span_count - ?) WHERE id = ?").execute(arguments: [spans, workflow])
                swept.traces += 1
                swept.spans += spans
            }
            if swept.traces + linkOnly > 0 { self.agedTracesExist.store(true, ordering: .relaxed) }
            return swept
        }
    }

    /// Copies the spans of every trace an exception's causal path or receipts touch into the
    /// evidence tables, marking the spans its pattern counted (its receipts' attempts).
    static func freezeEvidence(of record: ExceptionRecord, workflowKey: Data, plan: FactPlan, _ db: Database) throws {
        let attempts = try countedAttempts(record, plan: plan, db)
        let path = try CausalPath.to(record.trigger, in: SQLiteSpanLookup(db: db))
        for trace in FrozenEvidence.traces(trigger: record.trigger, path: path, counted: attempts) {
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

    /// The spans the exception's pattern counted, for its receipts (`FactPlan.receipts`).
    static func countedAttempts(_ record: ExceptionRecord, plan: FactPlan, _ db: Database) throws -> [SpanReference] {
        guard let pattern = record.dedupeKey else { return [] }
        let facts = try FactQueries.facts(db, workflow: record.workflowID, detector: pattern.detector, key: pattern.key)
        return plan.receipts(of: facts, detector: pattern.detector)
    }

    /// The story frozen into an exception, nil when none is (its spans have not aged out).
    static func frozenEvidence(of id: String, _ db: Database) throws -> FrozenEvidence? {
        let spans = try SpanQueries.spans(db, table: "evidence_span", linkTable: "evidence_link", where: "span.exception_id = ?",
                                          linksWhere: "exception_id = ?", arguments: [id])
        guard !spans.isEmpty else { return nil }
        let counted = try Row.fetchAll(db, sql: "SELECT trace_id, span_id FROM evidence_span WHERE exception_id = ? AND receipt = 1",
                                       arguments: [id]).compactMap { row -> SpanReference? in
            guard let trace = TraceID(data: row["trace_id"]), let span = SpanID(data: row["span_id"]) else { return nil }
            return SpanReference(traceID: trace, spanID: span)
        }
        return FrozenEvidence(spans: spans, counted: counted)
    }

    /// Gives free pages back to the file system, a few at a time (`auto_vacuum = INCREMENTAL`).
    public func reclaimSpace() async throws {
        try await write { db in try db.execute(sql: "PRAGMA incremental_vacuum(4096)") }
    }
}
