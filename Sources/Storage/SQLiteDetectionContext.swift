import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

/// One workflow as one detector sees it, read inside the writer's transaction.
struct SQLiteDetectionContext: DetectionContext {
    let db: Database
    let workflow: Int64
    let detector: String
    let settled: Bool
    let cache: DetectionCache

    func facts(_ key: String) throws -> [FactOccurrence] {
        try FactQueries.facts(db, workflow: workflow, detector: detector, key: key)
    }

    func keys() throws -> [String] {
        try cache.keys(workflow: workflow, detector: detector, db)
    }

    func count(_ key: String) throws -> Int {
        try cache.count(WorkflowKey(workflow: workflow, detector: detector, key: key), db)
    }

    func fact(_ key: String, at index: Int) throws -> FactOccurrence? {
        try FactQueries.fact(db, workflow: workflow, detector: detector, key: key, at: index)
    }

    func filed(_ dedupeKey: DedupeKey) throws -> FiledException? {
        try cache.filed(dedupeKey, workflow: workflow, db)
    }

    func spans(named name: String, startingAfter start: UInt64) throws -> [CausalNode] {
        try Row.fetchAll(db.cachedStatement(sql: SpanQueries.columns + """
             JOIN workflow_trace ON workflow_trace.trace_id = span.trace_id
            WHERE workflow_trace.workflow_id = ? AND span.name = ? AND span.start_time_unix_nano > ?
            """), arguments: [workflow, name, Int64(bitPattern: start)]).map { try StoredSpan(row: $0).causalNode }
    }

    func hasSpans(startingAfter time: UInt64) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM workflow_trace JOIN span ON span.trace_id = workflow_trace.trace_id
                WHERE workflow_trace.workflow_id = ? AND span.start_time_unix_nano > ?)
            """), arguments: [workflow, Int64(bitPattern: time)]) ?? false
    }

    func reviewerApproved(tool: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM reviewer_approval WHERE workflow_id = ? AND tool = ?)"),
                          arguments: [workflow, tool]) ?? false
    }

    func node(_ reference: SpanReference) throws -> CausalNode? {
        try SQLiteSpanLookup(db: db).node(reference)
    }
}
