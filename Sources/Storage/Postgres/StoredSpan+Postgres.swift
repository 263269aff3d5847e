import NIOCore
import PostgresNIO
import TraceModel

extension StoredSpan {
    /// The columns `init(postgres:)` reads, in its order: a span with its resource and scope.
    static let postgresColumns = postgresColumns(from: "span")

    /// `postgresColumns` read from `table` (`span`, or `evidence_span`, which has its columns).
    static func postgresColumns(from table: String) -> String {
        """
        SELECT span.trace_id, span.span_id, span.parent_span_id, span.name, span.kind, span.start_time_unix_nano,
            span.end_time_unix_nano, span.status_code, span.status_message, span.trace_state, span.flags, span.attributes,
            span.dropped_attributes_count, span.events, span.dropped_events_count, span.dropped_links_count, span.received_at_unix_nano,
            resource.attributes, resource.dropped_attributes_count, resource.schema_url,
            scope.name, scope.version, scope.attributes, scope.dropped_attributes_count, scope.schema_url
        FROM \(table) AS span JOIN resource ON resource.id = span.resource_id JOIN scope ON scope.id = span.scope_id
        """
    }

    /// Reads a row of `postgresColumns` (its links are added by the caller).
    init(postgres row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        func text(_ index: Int) throws -> String { String(buffer: try cells[index].decode(ByteBuffer.self)) }
        func number(_ index: Int) throws -> Int64 { try cells[index].decode(Int64.self) }
        guard let traceID = TraceID(buffer: try cells[0].decode(ByteBuffer.self)), let spanID = SpanID(buffer: try cells[1].decode(ByteBuffer.self)) else {
            throw StorageError("a stored span has a malformed id")
        }
        let span = Span(
            traceID: traceID,
            spanID: spanID,
            parentSpanID: try cells[2].decode(ByteBuffer?.self).flatMap(SpanID.init(buffer:)),
            traceState: try text(9),
            flags: UInt32(truncatingIfNeeded: try number(10)),
            name: try text(3),
            kind: SpanKind(rawValue: try cells[4].decode(Int32.self)) ?? .unspecified,
            startTimeUnixNano: UInt64(bitPattern: try number(5)),
            endTimeUnixNano: UInt64(bitPattern: try number(6)),
            attributes: try Attribute.list(fromJSONText: try cells[11].decode(String.self)),
            droppedAttributesCount: UInt32(truncatingIfNeeded: try number(12)),
            events: try SpanEvent.list(fromJSONText: try cells[13].decode(String.self)),
            droppedEventsCount: UInt32(truncatingIfNeeded: try number(14)),
            droppedLinksCount: UInt32(truncatingIfNeeded: try number(15)),
            status: SpanStatus(code: SpanStatus.Code(rawValue: try cells[7].decode(Int32.self)) ?? .unset, message: try text(8))
        )
        self.init(
            span: span,
            resource: Resource(
                attributes: try Attribute.list(fromJSONText: try cells[17].decode(String.self)),
                droppedAttributesCount: UInt32(truncatingIfNeeded: try number(18)),
                schemaURL: try text(19)
            ),
            scope: InstrumentationScope(
                name: try text(20),
                version: try text(21),
                attributes: try Attribute.list(fromJSONText: try cells[22].decode(String.self)),
                droppedAttributesCount: UInt32(truncatingIfNeeded: try number(23)),
                schemaURL: try text(24)
            ),
            receivedAtUnixNano: UInt64(bitPattern: try number(16))
        )
    }
}
