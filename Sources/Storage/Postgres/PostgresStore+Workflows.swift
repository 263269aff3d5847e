import Correlation
import NIOCore
import PostgresNIO
import TraceModel

extension PostgresStore: WorkflowReader {
    public func workflow(containing trace: TraceID) async throws -> StoredWorkflow? {
        try await client.withConnection { connection in
            guard let record = try await Self.workflow(containing: trace, connection, logger) else { return nil }
            var traceIDs: [TraceID] = []
            for try await bytes in try await connection.query("SELECT trace_id FROM workflow_trace WHERE workflow_id = \(record.id)", logger: logger)
                .decode(ByteBuffer.self) {
                if let id = TraceID(buffer: bytes) { traceIDs.append(id) }
            }
            let spans = try await Self.spans(
                "span.trace_id IN (SELECT trace_id FROM workflow_trace WHERE workflow_id = $1)", record.id, connection, logger)
            return StoredWorkflow(record: record, traceIDs: traceIDs.sorted(), spans: spans)
        }
    }

    public func spans(inTrace traceID: TraceID) async throws -> [StoredSpan] {
        try await client.withConnection { connection in
            try await Self.spans("span.trace_id = $1", ByteBuffer(bytes: traceID.bytes), connection, logger)
        }
    }

    /// The causal path of a span, walked over its workflow's spans read whole.
    public func causalPath(to reference: SpanReference) async throws -> (path: CausalPath, workflow: WorkflowRecord, linkedBy: [SpanReference])? {
        guard let workflow = try await workflow(containing: reference.traceID),
              let path = try CausalPath.to(reference, in: WorkflowGraph(nodes: workflow.spans.map(\.causalNode)))
        else { return nil }
        let linkedBy = try await client.withConnection { connection in
            var found: [SpanReference] = []
            for try await (trace, span) in try await connection.query("""
                SELECT DISTINCT trace_id, span_id FROM span_link
                WHERE linked_trace_id = \(ByteBuffer(bytes: reference.traceID.bytes)) AND linked_span_id = \(ByteBuffer(bytes: reference.spanID.bytes))
                ORDER BY trace_id, span_id
                """, logger: logger).decode((ByteBuffer, ByteBuffer).self) {
                if let trace = TraceID(buffer: trace), let span = SpanID(buffer: span) { found.append(SpanReference(traceID: trace, spanID: span)) }
            }
            return found
        }
        return (path, workflow.record, linkedBy)
    }

    static func workflow(containing trace: TraceID, _ connection: PostgresConnection, _ logger: Logger) async throws -> WorkflowRecord? {
        for try await (id, key, count) in try await connection.query("""
            SELECT workflow.id, workflow.key_trace_id, workflow.trace_count
            FROM workflow_trace JOIN workflow ON workflow.id = workflow_trace.workflow_id
            WHERE workflow_trace.trace_id = \(ByteBuffer(bytes: trace.bytes))
            """, logger: logger).decode((Int64, ByteBuffer, Int64).self) {
            guard let key = TraceID(buffer: key) else { throw StorageError("a stored workflow has a malformed key") }
            return WorkflowRecord(id: id, key: key, traceCount: Int(count))
        }
        return nil
    }

    /// The spans matching `condition` (one bind, `$1`), with their resource, scope and links, by
    /// start time.
    static func spans(_ condition: String, _ value: some PostgresDynamicTypeEncodable, _ connection: PostgresConnection,
                      _ logger: Logger) async throws -> [StoredSpan] {
        var binds = PostgresBindings()
        binds.append(value)
        var linksBySpan: [SpanReference: [SpanLink]] = [:]
        let links = PostgresQuery(unsafeSQL: """
            SELECT trace_id, span_id, linked_trace_id, linked_span_id, trace_state, flags, attributes, dropped_attributes_count
            FROM span_link WHERE \(condition.replacingOccurrences(of: "span.", with: "span_link.")) ORDER BY trace_id, span_id, link_index
            """, binds: binds)
        for try await row in try await connection.query(links, logger: logger) {
            let (trace, span, linkedTrace, linkedSpan, traceState, flags, attributes, dropped) =
                try row.decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, String, Int64, String, Int64).self)
            guard let trace = TraceID(buffer: trace), let span = SpanID(buffer: span),
                  let linkedTrace = TraceID(buffer: linkedTrace), let linkedSpan = SpanID(buffer: linkedSpan)
            else { throw StorageError("a stored link has a malformed id") }
            linksBySpan[SpanReference(traceID: trace, spanID: span), default: []].append(SpanLink(
                traceID: linkedTrace, spanID: linkedSpan, traceState: traceState, attributes: try Attribute.list(fromJSONText: attributes),
                droppedAttributesCount: UInt32(truncatingIfNeeded: dropped), flags: UInt32(truncatingIfNeeded: flags)))
        }
        var spans: [StoredSpan] = []
        let query = PostgresQuery(unsafeSQL: StoredSpan.postgresColumns + " WHERE \(condition) ORDER BY span.start_time_unix_nano, span.trace_id, span.span_id",
                                  binds: binds)
        for try await row in try await connection.query(query, logger: logger) {
            var stored = try StoredSpan(postgres: row)
            stored.span.links = linksBySpan[SpanReference(traceID: stored.span.traceID, spanID: stored.span.spanID)] ?? []
            spans.append(stored)
        }
        return spans
    }
}
