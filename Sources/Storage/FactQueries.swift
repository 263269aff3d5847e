import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

/// Reads of `detection_fact`.
enum FactQueries {
    /// Every fact of `detector`/`key` in one workflow, by start time then id: one index seek per
    /// trace of the workflow.
    static func facts(_ db: Database, workflow: Int64, detector: String, key: String) throws -> [FactOccurrence] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT detection_fact.trace_id, detection_fact.span_id, detection_fact.start_time_unix_nano FROM workflow_trace
            JOIN detection_fact ON detection_fact.trace_id = workflow_trace.trace_id
                AND detection_fact.detector = ? AND detection_fact.key = ?
            WHERE workflow_trace.workflow_id = ?
            ORDER BY detection_fact.start_time_unix_nano, detection_fact.trace_id, detection_fact.span_id
            """), arguments: [detector, key, workflow]).compactMap(occurrence)
    }

    /// A row of (trace_id, span_id, start_time_unix_nano) as a fact occurrence.
    static func occurrence(_ row: Row) -> FactOccurrence? {
        guard let traceID = TraceID(data: row["trace_id"]), let spanID = SpanID(data: row["span_id"]) else { return nil }
        return FactOccurrence(reference: SpanReference(traceID: traceID, spanID: spanID),
                              startTimeUnixNano: UInt64(bitPattern: row["start_time_unix_nano"]))
    }

    /// The start times of the first `limit` facts of `detector`/`key` in one workflow, in order.
    static func firstStarts(_ db: Database, workflow: Int64, detector: String, key: String, limit: Int) throws -> [UInt64] {
        try Int64.fetchAll(db.cachedStatement(sql: """
            SELECT detection_fact.start_time_unix_nano FROM workflow_trace
            JOIN detection_fact ON detection_fact.trace_id = workflow_trace.trace_id
                AND detection_fact.detector = ? AND detection_fact.key = ?
            WHERE workflow_trace.workflow_id = ?
            ORDER BY detection_fact.start_time_unix_nano LIMIT ?
            """), arguments: [detector, key, workflow, limit]).map { UInt64(bitPattern: $0) }
    }

    /// The keys `detector` has facts for in one workflow.
    static func keys(_ db: Database, workflow: Int64, detector: String) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT key FROM fact_count WHERE workflow_id = ? AND detector = ?"),
                            arguments: [workflow, detector])
    }

    /// Every (detector, key) with facts in one workflow.
    static func keys(_ db: Database, workflow: Int64) throws -> [(detector: String, key: String)] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT detector, key FROM fact_count WHERE workflow_id = ?"), arguments: [workflow])
            .map { ($0["detector"], $0["key"]) }
    }

    /// How many facts of `detector`/`key` the workflow holds (kept by the writer: no scan).
    static func count(_ db: Database, workflow: Int64, detector: String, key: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT count FROM fact_count WHERE workflow_id = ? AND detector = ? AND key = ?"),
                         arguments: [workflow, detector, key]) ?? 0
    }

    /// The fact at `index` in start order (then id).
    static func fact(_ db: Database, workflow: Int64, detector: String, key: String, at index: Int) throws -> FactOccurrence? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT detection_fact.trace_id, detection_fact.span_id, detection_fact.start_time_unix_nano FROM workflow_trace
            JOIN detection_fact ON detection_fact.trace_id = workflow_trace.trace_id
                AND detection_fact.detector = ? AND detection_fact.key = ?
            WHERE workflow_trace.workflow_id = ?
            ORDER BY detection_fact.start_time_unix_nano, detection_fact.trace_id, detection_fact.span_id
            LIMIT 1 OFFSET ?
            """), arguments: [detector, key, workflow, index]).flatMap(occurrence)
    }
}
