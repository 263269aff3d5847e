import Foundation
import GRDB
import GRDBSQLite
import Storage
import TraceModel

/// The ceiling to compare against: the same span rows, values encoded beforehand, inserted
/// straight into the same schema with one reused prepared statement and one transaction per
/// batch, with the server's durability settings (WAL, synchronous FULL).
enum SQLiteBaseline {
    struct Row {
        var traceID: [UInt8]
        var spanID: [UInt8]
        var parentSpanID: [UInt8]?
        var name: String
        var kind: Int64
        var start: Int64
        var end: Int64
        var statusCode: Int64
        var statusMessage: String
        var attributes: String
        var events: String
    }

    static func rows(_ batch: TraceBatch) -> [Row] {
        batch.spans.map { span in
            var events = JSONWriter()
            SpanEvent.writeJSON(span.events, to: &events)
            return Row(
                traceID: span.traceID.bytes, spanID: span.spanID.bytes, parentSpanID: span.parentSpanID?.bytes,
                name: span.name, kind: Int64(span.kind.rawValue),
                start: Int64(bitPattern: span.startTimeUnixNano), end: Int64(bitPattern: span.endTimeUnixNano),
                statusCode: Int64(span.status.code.rawValue), statusMessage: span.status.message,
                attributes: Attribute.jsonText(span.attributes), events: events.string
            )
        }
    }

    /// Inserts every batch; returns rows per second.
    static func run(path: String, batches: [[Row]]) throws -> Double {
        _ = try TraceStore(path: path)  // creates the schema through the real migrations
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let queue = try DatabasePool(path: path, configuration: configuration)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO resource (id, service_name, attributes, dropped_attributes_count, schema_url) VALUES (1, 'bench', '[]', 0, '')")
            try db.execute(sql: "INSERT INTO scope (id, name, version, attributes, dropped_attributes_count, schema_url) VALUES (1, 'bench', '', '[]', 0, '')")
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let started = ContinuousClock.now
        var count = 0
        try queue.writeWithoutTransaction { db in
            guard let connection = db.sqliteConnection else { return }
            var statement: OpaquePointer?
            sqlite3_prepare_v2(connection, """
                INSERT INTO span (trace_id, span_id, parent_span_id, name, kind, start_time_unix_nano,
                    end_time_unix_nano, status_code, status_message, trace_state, flags, attributes,
                    dropped_attributes_count, events, dropped_events_count, dropped_links_count,
                    resource_id, scope_id, received_at_unix_nano)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, ?, 0, ?, 0, 0, 1, 1, 0)
                ON CONFLICT (trace_id, span_id) DO NOTHING
                """, -1, &statement, nil)
            defer { sqlite3_finalize(statement) }
            for batch in batches {
                try db.inTransaction {
                    for row in batch {
                        row.traceID.withUnsafeBytes { _ = sqlite3_bind_blob(statement, 1, $0.baseAddress, 16, transient) }
                        row.spanID.withUnsafeBytes { _ = sqlite3_bind_blob(statement, 2, $0.baseAddress, 8, transient) }
                        if let parent = row.parentSpanID {
                            parent.withUnsafeBytes { _ = sqlite3_bind_blob(statement, 3, $0.baseAddress, 8, transient) }
                        } else {
                            sqlite3_bind_null(statement, 3)
                        }
                        sqlite3_bind_text(statement, 4, row.name, -1, transient)
                        sqlite3_bind_int64(statement, 5, row.kind)
                        sqlite3_bind_int64(statement, 6, row.start)
                        sqlite3_bind_int64(statement, 7, row.end)
                        sqlite3_bind_int64(statement, 8, row.statusCode)
                        sqlite3_bind_text(statement, 9, row.statusMessage, -1, transient)
                        sqlite3_bind_text(statement, 10, row.attributes, -1, transient)
                        sqlite3_bind_text(statement, 11, row.events, -1, transient)
                        guard sqlite3_step(statement) == SQLITE_DONE else {
                            throw StorageError(String(cString: sqlite3_errmsg(connection)))
                        }
                        sqlite3_reset(statement)
                        count += 1
                    }
                    return .commit
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        return Double(count) / elapsed.seconds
    }
}
