import Correlation
import Foundation
import GRDB
import TraceModel

/// A workflow as read back: its membership record, its traces (with or without stored spans)
/// and its stored spans.
public struct StoredWorkflow: Sendable {
    public var record: WorkflowRecord
    /// Every member trace, sorted; some may be known only from links to them.
    public var traceIDs: [TraceID]
    public var spans: [StoredSpan]
}

extension TraceStore {
    /// The whole workflow holding `trace`, or nil when the trace is unknown (no span of it, no
    /// link to it) or aged out.
    public func workflow(containing trace: TraceID) async throws -> StoredWorkflow? {
        try await read { db in
            // A trace whose spans aged out while its workflow lived on answers as unknown (DESIGN.md §10).
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT aged_out FROM workflow_trace WHERE trace_id = ?"),
                                    arguments: [Data(trace.bytes)]) != true,
                  let record = try SQLiteWorkflowMembership.workflow(containing: trace, db) else { return nil }
            let traceIDs = try Data.fetchAll(db, sql: "SELECT trace_id FROM workflow_trace WHERE workflow_id = ?", arguments: [record.id])
                .compactMap { TraceID(data: $0) }.sorted()
            let membership = "IN (SELECT trace_id FROM workflow_trace WHERE workflow_id = ?)"
            let spans = try SpanQueries.spans(
                db, where: "span.trace_id \(membership)", linksWhere: "span_link.trace_id \(membership)", arguments: [record.id])
            return StoredWorkflow(record: record, traceIDs: traceIDs, spans: spans)
        }
    }

    /// The causal path of a span, the workflow it belongs to and the spans linking to it; nil
    /// when the span has not arrived.
    public func causalPath(to reference: SpanReference) async throws -> (path: CausalPath, workflow: WorkflowRecord, linkedBy: [SpanReference])? {
        try await read { db in
            guard let path = try CausalPath.to(reference, in: SQLiteSpanLookup(db: db)),
                  let workflow = try SQLiteWorkflowMembership.workflow(containing: reference.traceID, db)
            else { return nil }
            return (path, workflow, try Self.linkedBy(reference, db))
        }
    }

    /// The spans that link to `reference` (backlinks: a producer's consumers), sorted.
    static func linkedBy(_ reference: SpanReference, _ db: Database) throws -> [SpanReference] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT DISTINCT trace_id, span_id FROM span_link WHERE linked_trace_id = ? AND linked_span_id = ?
            ORDER BY trace_id, span_id
            """), arguments: [Data(reference.traceID.bytes), Data(reference.spanID.bytes)]).compactMap { row in
            guard let traceID = TraceID(data: row["trace_id"]), let spanID = SpanID(data: row["span_id"]) else { return nil }
            return SpanReference(traceID: traceID, spanID: spanID)
        }
    }
}

/// Causal-path reads straight from the database: one indexed lookup a hop.
struct SQLiteSpanLookup: SpanLookup {
    let db: Database

    func node(_ reference: SpanReference) throws -> CausalNode? {
        try SpanQueries.span(db, reference)?.causalNode
    }
}
