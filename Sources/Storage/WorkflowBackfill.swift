import Correlation
import Foundation
import GRDB
import TraceModel

/// Stitches spans stored before workflows existed (the "v2: workflows" migration).
enum WorkflowBackfill {
    static func run(_ db: Database) throws {
        let now = UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
        var stitcher = WorkflowStitcher(membership: SQLiteWorkflowMembership(db: db, receivedAt: now))
        let traces = try Data.fetchAll(db, sql: "SELECT DISTINCT trace_id FROM span").compactMap { TraceID(data: $0) }
        let links = try Row.fetchAll(db, sql: "SELECT DISTINCT trace_id, linked_trace_id FROM span_link").compactMap { row -> (from: TraceID, to: TraceID)? in
            guard let from = TraceID(data: row["trace_id"]), let to = TraceID(data: row["linked_trace_id"]) else { return nil }
            return (from, to)
        }
        try stitcher.stitch(traces: traces, links: links)
        try db.execute(sql: """
            UPDATE workflow SET span_count = (
                SELECT count(*) FROM span JOIN workflow_trace ON workflow_trace.trace_id = span.trace_id
                WHERE workflow_trace.workflow_id = workflow.id)
            """)
    }
}
