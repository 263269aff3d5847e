import Foundation
import GRDB
import TraceModel

extension StoredSpan {
    /// Reads a row of `span` joined with its resource and scope.
    init(row: Row) throws {
        guard let traceID = TraceID(data: row["trace_id"]), let spanID = SpanID(data: row["span_id"]) else {
            throw StorageError("a stored span has a malformed id")
        }
        let span = Span(
            traceID: traceID,
            spanID: spanID,
            parentSpanID: SpanID(data: row["parent_span_id"]),
            traceState: row["trace_state"],
            flags: UInt32(truncatingIfNeeded: row["flags"] as Int64),
            name: row["name"],
            kind: SpanKind(rawValue: row["kind"]) ?? .unspecified,
            startTimeUnixNano: UInt64(bitPattern: row["start_time_unix_nano"]),
            endTimeUnixNano: UInt64(bitPattern: row["end_time_unix_nano"]),
            attributes: try Attribute.list(fromJSONText: row["attributes"]),
            droppedAttributesCount: UInt32(truncatingIfNeeded: row["dropped_attributes_count"] as Int64),
            events: try SpanEvent.list(fromJSONText: row["events"]),
            droppedEventsCount: UInt32(truncatingIfNeeded: row["dropped_events_count"] as Int64),
            droppedLinksCount: UInt32(truncatingIfNeeded: row["dropped_links_count"] as Int64),
            status: SpanStatus(code: SpanStatus.Code(rawValue: row["status_code"]) ?? .unset, message: row["status_message"])
        )
        self.init(
            span: span,
            resource: Resource(
                attributes: try Attribute.list(fromJSONText: row["resource_attributes"]),
                droppedAttributesCount: UInt32(truncatingIfNeeded: row["resource_dropped_attributes_count"] as Int64),
                schemaURL: row["resource_schema_url"]
            ),
            scope: InstrumentationScope(
                name: row["scope_name"],
                version: row["scope_version"],
                attributes: try Attribute.list(fromJSONText: row["scope_attributes"]),
                droppedAttributesCount: UInt32(truncatingIfNeeded: row["scope_dropped_attributes_count"] as Int64),
                schemaURL: row["scope_schema_url"]
            ),
            receivedAtUnixNano: UInt64(bitPattern: row["received_at_unix_nano"])
        )
    }
}

extension SpanLink {
    /// Reads a row of `span_link`.
    init(row: Row) throws {
        guard let traceID = TraceID(data: row["linked_trace_id"]), let spanID = SpanID(data: row["linked_span_id"]) else {
            throw StorageError("a stored link has a malformed id")
        }
        self.init(
            traceID: traceID,
            spanID: spanID,
            traceState: row["trace_state"],
            attributes: try Attribute.list(fromJSONText: row["attributes"]),
            droppedAttributesCount: UInt32(truncatingIfNeeded: row["dropped_attributes_count"] as Int64),
            flags: UInt32(truncatingIfNeeded: row["flags"] as Int64)
        )
    }
}

extension TraceID {
    init?(data: Data?) {
        guard let data else { return nil }
        guard let id = data.withUnsafeBytes({ TraceID(bytes: $0) }) else { return nil }
        self = id
    }
}

extension SpanID {
    init?(data: Data?) {
        guard let data else { return nil }
        guard let id = data.withUnsafeBytes({ SpanID(bytes: $0) }) else { return nil }
        self = id
    }
}
