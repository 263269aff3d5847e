import Foundation
import GRDB
import TraceModel

/// Where each column of a span read (`SpanQueries.columns`) sits, found once per statement:
/// reading a row by index, not by name, is what makes reading a 10,000-span workflow fast.
struct StoredSpanColumns {
    let traceID, spanID, parentSpanID, traceState, flags, name, kind, start, end: Int
    let attributes, droppedAttributes, events, droppedEvents, droppedLinks, statusCode, statusMessage: Int
    let resourceAttributes, resourceDroppedAttributes, resourceSchemaURL: Int
    let scopeName, scopeVersion, scopeAttributes, scopeDroppedAttributes, scopeSchemaURL, receivedAt: Int
    /// The free-text columns as bytes (NUL-safe), where the query has them.
    let nameBytes, statusMessageBytes, traceStateBytes, scopeNameBytes, scopeVersionBytes: Int?

    init(_ names: [String]) throws {
        func index(_ name: String) throws -> Int {
            guard let index = names.firstIndex(of: name) else { throw StorageError("a span read lacks the column \(name)") }
            return index
        }
        traceID = try index("trace_id")
        spanID = try index("span_id")
        parentSpanID = try index("parent_span_id")
        traceState = try index("trace_state")
        flags = try index("flags")
        name = try index("name")
        kind = try index("kind")
        start = try index("start_time_unix_nano")
        end = try index("end_time_unix_nano")
        attributes = try index("attributes")
        droppedAttributes = try index("dropped_attributes_count")
        events = try index("events")
        droppedEvents = try index("dropped_events_count")
        droppedLinks = try index("dropped_links_count")
        statusCode = try index("status_code")
        statusMessage = try index("status_message")
        resourceAttributes = try index("resource_attributes")
        resourceDroppedAttributes = try index("resource_dropped_attributes_count")
        resourceSchemaURL = try index("resource_schema_url")
        scopeName = try index("scope_name")
        scopeVersion = try index("scope_version")
        scopeAttributes = try index("scope_attributes")
        scopeDroppedAttributes = try index("scope_dropped_attributes_count")
        scopeSchemaURL = try index("scope_schema_url")
        receivedAt = try index("received_at_unix_nano")
        nameBytes = names.firstIndex(of: "name_bytes")
        statusMessageBytes = names.firstIndex(of: "status_message_bytes")
        traceStateBytes = names.firstIndex(of: "trace_state_bytes")
        scopeNameBytes = names.firstIndex(of: "scope_name_bytes")
        scopeVersionBytes = names.firstIndex(of: "scope_version_bytes")
    }
}

extension StoredSpan {
    /// Reads a row of `span` joined with its resource and scope (`SpanQueries.columns`).
    init(row: Row) throws {
        try self.init(row: row, columns: StoredSpanColumns(Array(row.columnNames)))
    }

    /// Reads a row whose column positions are known.
    init(row: Row, columns c: StoredSpanColumns) throws {
        guard let traceID = TraceID(data: row[c.traceID]), let spanID = SpanID(data: row[c.spanID]) else {
            throw StorageError("a stored span has a malformed id")
        }
        let span = Span(
            traceID: traceID,
            spanID: spanID,
            parentSpanID: SpanID(data: row[c.parentSpanID]),
            traceState: Self.text(row, c.traceStateBytes, or: c.traceState),
            flags: UInt32(truncatingIfNeeded: row[c.flags] as Int64),
            name: Self.text(row, c.nameBytes, or: c.name),
            kind: SpanKind(rawValue: row[c.kind]) ?? .unspecified,
            startTimeUnixNano: UInt64(bitPattern: row[c.start]),
            endTimeUnixNano: UInt64(bitPattern: row[c.end]),
            attributes: try Attribute.list(fromJSONText: row[c.attributes]),
            droppedAttributesCount: UInt32(truncatingIfNeeded: row[c.droppedAttributes] as Int64),
            events: try SpanEvent.list(fromJSONText: row[c.events]),
            droppedEventsCount: UInt32(truncatingIfNeeded: row[c.droppedEvents] as Int64),
            droppedLinksCount: UInt32(truncatingIfNeeded: row[c.droppedLinks] as Int64),
            status: SpanStatus(code: SpanStatus.Code(rawValue: row[c.statusCode]) ?? .unset, message: Self.text(row, c.statusMessageBytes, or: c.statusMessage))
        )
        self.init(
            span: span,
            resource: Resource(
                attributes: try Attribute.list(fromJSONText: row[c.resourceAttributes]),
                droppedAttributesCount: UInt32(truncatingIfNeeded: row[c.resourceDroppedAttributes] as Int64),
                schemaURL: row[c.resourceSchemaURL]
            ),
            scope: InstrumentationScope(
                name: Self.text(row, c.scopeNameBytes, or: c.scopeName),
                version: Self.text(row, c.scopeVersionBytes, or: c.scopeVersion),
                attributes: try Attribute.list(fromJSONText: row[c.scopeAttributes]),
                droppedAttributesCount: UInt32(truncatingIfNeeded: row[c.scopeDroppedAttributes] as Int64),
                schemaURL: row[c.scopeSchemaURL]
            ),
            receivedAtUnixNano: UInt64(bitPattern: row[c.receivedAt])
        )
    }

    /// Text read from its bytes column when there is one (whole, NUL included), else as text.
    static func text(_ row: Row, _ bytes: Int?, or column: Int) -> String {
        guard let bytes else { return row[column] }
        let data: Data? = row[bytes]
        return String(decoding: data ?? Data(), as: UTF8.self)
    }
}

extension SpanLink {
    /// Reads a row of `span_link` (`SpanQueries.linkColumns`: its trace state also as bytes).
    init(row: Row) throws {
        guard let traceID = TraceID(data: row["linked_trace_id"]), let spanID = SpanID(data: row["linked_span_id"]) else {
            throw StorageError("a stored link has a malformed id")
        }
        self.init(
            traceID: traceID,
            spanID: spanID,
            // As bytes: SQLite hands TEXT over as a C string, cut at the first NUL.
            traceState: String(decoding: (row["trace_state_bytes"] as Data?) ?? Data(), as: UTF8.self),
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
