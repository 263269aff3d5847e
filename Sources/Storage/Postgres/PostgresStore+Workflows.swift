import Correlation
import NIOCore
import PostgresNIO
import TraceModel

extension PostgresStore: WorkflowReader {
    public func workflow(containing trace: TraceID) async throws -> StoredWorkflow? {
        try await reading { connection in try await Self.workflow(containing: trace, connection, self.logger) }
    }

    /// Runs `body` in a read-only transaction that sees one snapshot (several reads of a
    /// workflow agree even while other instances merge it); errors come out mapped.
    func reading<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await transaction { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.logger)
                return try await body(connection)
            }
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }

    /// The whole workflow holding `trace`, read on `connection`.
    static func workflow(containing trace: TraceID, _ connection: PostgresConnection, _ logger: Logger) async throws -> StoredWorkflow? {
        guard let record = try await membership(of: trace, connection, logger) else { return nil }
        var traceIDs: [TraceID] = []
        for try await bytes in try await connection.query("SELECT trace_id FROM workflow_trace WHERE workflow_id = \(record.id)", logger: logger)
            .decode(ByteBuffer.self) {
            if let id = TraceID(buffer: bytes) { traceIDs.append(id) }
        }
        let members = "IN (SELECT trace_id FROM workflow_trace WHERE workflow_id = $1)"
        let spans = try await spans(where: "span.trace_id \(members)", linksWhere: "span_link.trace_id \(members)", record.id, connection, logger)
        return StoredWorkflow(record: record, traceIDs: traceIDs.sorted(), spans: spans)
    }

    public func spans(inTrace traceID: TraceID) async throws -> [StoredSpan] {
        try await reading { connection in
            try await Self.spans(where: "span.trace_id = $1", linksWhere: "span_link.trace_id = $1", ByteBuffer(bytes: traceID.bytes), connection, self.logger)
        }
    }

    public func spanCount() async throws -> Int {
        try await reading { connection in
            for try await count in try await connection.query("SELECT count(*) FROM span", logger: self.logger).decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    /// The causal path of a span, walked over its workflow's spans read whole.
    public func causalPath(to reference: SpanReference) async throws -> (path: CausalPath, workflow: WorkflowRecord, linkedBy: [SpanReference])? {
        try await reading { connection in
            guard let workflow = try await Self.workflow(containing: reference.traceID, connection, self.logger),
                  let path = try CausalPath.to(reference, in: WorkflowGraph(nodes: workflow.spans.map(\.causalNode)))
            else { return nil }
            var found: [SpanReference] = []
            for try await (trace, span) in try await connection.query("""
                SELECT DISTINCT trace_id, span_id FROM span_link
                WHERE linked_trace_id = \(ByteBuffer(bytes: reference.traceID.bytes)) AND linked_span_id = \(ByteBuffer(bytes: reference.spanID.bytes))
                ORDER BY trace_id, span_id
                """, logger: self.logger).decode((ByteBuffer, ByteBuffer).self) {
                if let trace = TraceID(buffer: trace), let span = SpanID(buffer: span) { found.append(SpanReference(traceID: trace, spanID: span)) }
            }
            return (path, workflow.record, found)
        }
    }

    /// The workflow `trace` is a member of, as membership knows it; nil for a trace whose spans
    /// aged out while its workflow lived on: it answers as unknown (DESIGN.md §10).
    static func membership(of trace: TraceID, _ connection: PostgresConnection, _ logger: Logger) async throws -> WorkflowRecord? {
        for try await (id, key, count) in try await connection.query("""
            SELECT workflow.id, workflow.key_trace_id, workflow.trace_count
            FROM workflow_trace JOIN workflow ON workflow.id = workflow_trace.workflow_id
            WHERE workflow_trace.trace_id = \(ByteBuffer(bytes: trace.bytes)) AND NOT workflow_trace.aged_out
            """, logger: logger).decode((Int64, ByteBuffer, Int64).self) {
            guard let key = TraceID(buffer: key) else { throw StorageError("a stored workflow has a malformed key") }
            return WorkflowRecord(id: id, key: key, traceCount: Int(count))
        }
        return nil
    }

    /// The spans matching `condition` and their links matching `linksWhere` (one bind each, `$1`),
    /// with their resource and scope, by start time (then trace and span id: on every instance
    /// the same).
    static func spans(where condition: String, linksWhere: String, _ value: some PostgresDynamicTypeEncodable, _ connection: PostgresConnection,
                      _ logger: Logger) async throws -> [StoredSpan] {
        var binds = PostgresBindings()
        binds.append(value)
        let queries = spanQueries(where: condition, linksWhere: linksWhere, binds)
        return try spans(try await connection.query(queries.spans, logger: logger).collect(),
                         links: try await connection.query(queries.links, logger: logger).collect())
    }

    /// The two queries `spans(_:links:)` reads: the spans matching `condition` and their links
    /// matching `linksWhere`, both with `binds`. `table` and `linkTable` may name the evidence
    /// tables, which have the same columns.
    static func spanQueries(table: String = "span", linkTable: String = "span_link", where condition: String, linksWhere: String,
                            _ binds: PostgresBindings) -> (spans: PostgresQuery, links: PostgresQuery) {
        let links = PostgresQuery(unsafeSQL: """
            SELECT trace_id, span_id, linked_trace_id, linked_span_id, trace_state, flags, attributes, dropped_attributes_count
            FROM \(linkTable) AS span_link WHERE \(linksWhere) ORDER BY trace_id, span_id, link_index
            """, binds: binds)
        let spans = PostgresQuery(unsafeSQL: StoredSpan.postgresColumns(from: table)
                                  + " WHERE \(condition) ORDER BY span.start_time_unix_nano, span.trace_id, span.span_id", binds: binds)
        return (spans, links)
    }

    /// Spans read by `spanQueries`, each with its links.
    static func spans(_ spanRows: [PostgresRow], links linkRows: [PostgresRow]) throws -> [StoredSpan] {
        var linksBySpan: [SpanReference: [SpanLink]] = [:]
        for row in linkRows {
            let (trace, span, linkedTrace, linkedSpan, traceState, flags, attributes, dropped) =
                try row.decode((ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer, Int64, String, Int64).self)
            guard let trace = TraceID(buffer: trace), let span = SpanID(buffer: span),
                  let linkedTrace = TraceID(buffer: linkedTrace), let linkedSpan = SpanID(buffer: linkedSpan)
            else { throw StorageError("a stored link has a malformed id") }
            linksBySpan[SpanReference(traceID: trace, spanID: span), default: []].append(SpanLink(
                traceID: linkedTrace, spanID: linkedSpan, traceState: String(buffer: traceState), attributes: try Attribute.list(fromJSONText: attributes),
                droppedAttributesCount: UInt32(truncatingIfNeeded: dropped), flags: UInt32(truncatingIfNeeded: flags)))
        }
        return try spanRows.map { row in
            var stored = try StoredSpan(postgres: row)
            stored.span.links = linksBySpan[SpanReference(traceID: stored.span.traceID, spanID: stored.span.spanID)] ?? []
            return stored
        }
    }
}
