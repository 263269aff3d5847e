import Correlation
import Foundation
import GRDB
import TraceModel

/// The span reads shared by the store's query methods.
enum SpanQueries {
    static let columns = columns(from: "span")

    /// A link row's columns as `SpanLink(row:)` reads them: its trace state again as bytes (NUL-safe).
    static let linkColumns = "*, CAST(trace_state AS BLOB) AS trace_state_bytes"

    /// The span columns with their resource and scope, read from `table` (`span`, or
    /// `evidence_span`, which has the same columns). Free text comes a second time as bytes:
    /// SQLite hands TEXT over as a C string, cut at the first NUL, and span data may hold one.
    static func columns(from table: String) -> String {
        """
        SELECT span.*, resource.attributes AS resource_attributes,
            CAST(span.name AS BLOB) AS name_bytes, CAST(span.status_message AS BLOB) AS status_message_bytes,
            CAST(span.trace_state AS BLOB) AS trace_state_bytes,
            CAST(scope.name AS BLOB) AS scope_name_bytes, CAST(scope.version AS BLOB) AS scope_version_bytes,
            resource.dropped_attributes_count AS resource_dropped_attributes_count,
            resource.schema_url AS resource_schema_url,
            scope.name AS scope_name, scope.version AS scope_version, scope.attributes AS scope_attributes,
            scope.dropped_attributes_count AS scope_dropped_attributes_count, scope.schema_url AS scope_schema_url
        FROM \(table) AS span
        JOIN resource ON resource.id = span.resource_id
        JOIN scope ON scope.id = span.scope_id
        """
    }

    /// Spans matching `condition` (over `span`) with their links (`linksWhere` over `span_link`),
    /// ordered by start time. Both conditions take `arguments`.
    /// `table` and `linkTable` may name the evidence tables, which have the same columns.
    static func spans(_ db: Database, table: String = "span", linkTable: String = "span_link", where condition: String, linksWhere: String,
                      arguments: StatementArguments) throws -> [StoredSpan] {
        let statement = try db.makeStatement(sql: columns(from: table) + " WHERE \(condition) ORDER BY span.start_time_unix_nano, span.id")
        let positions = try StoredSpanColumns(statement.columnNames)
        let rows = try Row.fetchAll(statement, arguments: arguments)
        let links = try Row.fetchAll(db, sql: "SELECT \(linkColumns) FROM \(linkTable) WHERE \(linksWhere) ORDER BY trace_id, span_id, link_index", arguments: arguments)
        var linksBySpan: [SpanReference: [SpanLink]] = [:]
        for row in links {
            guard let traceID = TraceID(data: row["trace_id"]), let spanID = SpanID(data: row["span_id"]) else { continue }
            linksBySpan[SpanReference(traceID: traceID, spanID: spanID), default: []].append(try SpanLink(row: row))
        }
        return try rows.map { row in
            var stored = try StoredSpan(row: row, columns: positions)
            stored.span.links = linksBySpan[SpanReference(stored.span)] ?? []
            return stored
        }
    }

    /// One span with its links, or nil when it has not arrived.
    static func span(_ db: Database, _ reference: SpanReference) throws -> StoredSpan? {
        let arguments: StatementArguments = [Data(reference.traceID.bytes), Data(reference.spanID.bytes)]
        guard let row = try Row.fetchOne(db.cachedStatement(sql: columns + " WHERE span.trace_id = ? AND span.span_id = ?"), arguments: arguments) else {
            return nil
        }
        var stored = try StoredSpan(row: row)
        stored.span.links = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(linkColumns) FROM span_link WHERE trace_id = ? AND span_id = ? ORDER BY link_index
            """), arguments: arguments).map { try SpanLink(row: $0) }
        return stored
    }
}
