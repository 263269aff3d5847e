import Correlation
import Foundation
import GRDB
import TraceModel

/// Workflow membership in the `workflow` and `workflow_trace` tables, read and changed inside
/// the writer's transaction.
struct SQLiteWorkflowMembership: WorkflowMembership {
    let db: Database
    /// When the spans being stitched were received (Unix ns).
    let receivedAt: UInt64
    /// The writer's cache, kept in step with every change made here.
    var cache: MembershipCache?

    func workflow(containing trace: TraceID) throws -> WorkflowRecord? {
        if let record = cache?.workflow(containing: trace) { return record }
        guard let record = try Self.workflow(containing: trace, db) else { return nil }
        cache?.remember(trace, in: record)
        return record
    }

    static func workflow(containing trace: TraceID, _ db: Database) throws -> WorkflowRecord? {
        let statement = try db.cachedStatement(sql: """
            SELECT workflow.id, workflow.key_trace_id, workflow.trace_count
            FROM workflow_trace JOIN workflow ON workflow.id = workflow_trace.workflow_id
            WHERE workflow_trace.trace_id = ?
            """)
        guard let row = try Row.fetchOne(statement, arguments: [Data(trace.bytes)]) else { return nil }
        return try Self.record(row)
    }

    func createWorkflow(for traces: [TraceID]) throws -> WorkflowRecord {
        guard let key = traces.min() else { throw StorageError("a workflow needs at least one trace") }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO workflow (key_trace_id, trace_count, span_count, first_received_at_unix_nano, last_received_at_unix_nano)
            VALUES (?, ?, 0, ?, ?)
            """)
        try insert.execute(arguments: [Data(key.bytes), traces.count, Int64(bitPattern: receivedAt), Int64(bitPattern: receivedAt)])
        let record = WorkflowRecord(id: db.lastInsertedRowID, key: key, traceCount: traces.count)
        try insertMembers(traces, of: record)
        return record
    }

    func add(_ traces: [TraceID], to workflow: WorkflowRecord) throws -> WorkflowRecord {
        let record = WorkflowRecord(id: workflow.id, key: min(workflow.key, traces.min() ?? workflow.key),
                                    traceCount: workflow.traceCount + traces.count)
        try db.cachedStatement(sql: "UPDATE workflow SET key_trace_id = ?, trace_count = ? WHERE id = ?")
            .execute(arguments: [Data(record.key.bytes), record.traceCount, record.id])
        try insertMembers(traces, of: record)
        return record
    }

    private func insertMembers(_ traces: [TraceID], of record: WorkflowRecord) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO workflow_trace (trace_id, workflow_id, first_received_at_unix_nano) VALUES (?, ?, ?)
            """)
        for trace in traces {
            try insert.execute(arguments: [Data(trace.bytes), record.id, Int64(bitPattern: receivedAt)])
            cache?.remember(trace, in: record)
        }
    }

    func merge(_ absorbed: WorkflowRecord, into survivor: WorkflowRecord) throws -> WorkflowRecord {
        guard let gone = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT span_count, first_received_at_unix_nano, last_received_at_unix_nano FROM workflow WHERE id = ?
            """), arguments: [absorbed.id]) else { throw StorageError("workflow \(absorbed.id) vanished during a merge") }
        // Uses workflow_trace_by_workflow: touches only the absorbed workflow's traces.
        try db.cachedStatement(sql: "UPDATE workflow_trace SET workflow_id = ? WHERE workflow_id = ?")
            .execute(arguments: [survivor.id, absorbed.id])
        try db.cachedStatement(sql: "DELETE FROM workflow WHERE id = ?").execute(arguments: [absorbed.id])
        let merged = WorkflowRecord(
            id: survivor.id, key: min(absorbed.key, survivor.key), traceCount: absorbed.traceCount + survivor.traceCount)
        try db.cachedStatement(sql: """
            UPDATE workflow SET key_trace_id = ?, trace_count = ?, span_count = span_count + ?,
                first_received_at_unix_nano = min(first_received_at_unix_nano, ?),
                last_received_at_unix_nano = max(last_received_at_unix_nano, ?)
            WHERE id = ?
            """).execute(arguments: [
                Data(merged.key.bytes), merged.traceCount, gone["span_count"] as Int64,
                gone["first_received_at_unix_nano"] as Int64, gone["last_received_at_unix_nano"] as Int64, survivor.id,
            ])
        cache?.merged(absorbed, into: merged)
        return merged
    }

    /// Adds newly stored spans to a workflow's count and marks it active now.
    func recordActivity(workflow id: Int64, newSpans: Int) throws {
        try db.cachedStatement(sql: """
            UPDATE workflow SET span_count = span_count + ?, last_received_at_unix_nano = max(last_received_at_unix_nano, ?)
            WHERE id = ?
            """).execute(arguments: [newSpans, Int64(bitPattern: receivedAt), id])
    }

    static func record(_ row: Row) throws -> WorkflowRecord {
        guard let key = TraceID(data: row["key_trace_id"]) else { throw StorageError("a stored workflow has a malformed key") }
        return WorkflowRecord(id: row["id"], key: key, traceCount: row["trace_count"])
    }
}
