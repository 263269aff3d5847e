import Correlation
import Detection
import NIOCore
import PostgresNIO
import TraceModel

/// One workflow as one detector sees it on PostgreSQL, read inside the writer's transaction on
/// the session thread; counts, keys and what is filed come from the round's state.
struct PostgresDetectionContext: DetectionContext {
    let session: PostgresSyncSession
    let state: PostgresRoundState
    let workflow: Int64
    let detector: String
    let settled: Bool

    /// The facts of `key` in the workflow, by start time then id (`LIMIT`/`OFFSET` appended).
    private func factRows(_ key: String, _ window: String) throws -> [FactOccurrence] {
        var binds = PostgresBindings()
        binds.append(detector)
        binds.append(ByteBuffer(string: key))
        binds.append(workflow)
        return try session.rows(PostgresQuery(unsafeSQL: """
            SELECT detection_fact.trace_id, detection_fact.span_id, detection_fact.start_time_unix_nano FROM workflow_trace
            JOIN detection_fact ON detection_fact.trace_id = workflow_trace.trace_id AND detection_fact.detector = $1 AND detection_fact.key = $2
            WHERE workflow_trace.workflow_id = $3
            ORDER BY detection_fact.start_time_unix_nano, detection_fact.trace_id, detection_fact.span_id \(window)
            """, binds: binds)).map { row in
            let (trace, span, start) = try row.decode((ByteBuffer, ByteBuffer, Int64).self)
            guard let trace = TraceID(buffer: trace), let span = SpanID(buffer: span) else { throw StorageError("a stored fact has a malformed id") }
            return FactOccurrence(reference: SpanReference(traceID: trace, spanID: span), startTimeUnixNano: UInt64(bitPattern: start))
        }
    }

    func facts(_ key: String) throws -> [FactOccurrence] {
        try factRows(key, "")
    }

    func fact(_ key: String, at index: Int) throws -> FactOccurrence? {
        try factRows(key, "LIMIT 1 OFFSET \(max(index, 0))").first
    }

    func keys() throws -> [String] {
        try state.keys(workflow: workflow, detector: detector, session)
    }

    func count(_ key: String) throws -> Int {
        try state.count(WorkflowKey(workflow: workflow, detector: detector, key: key), session)
    }

    func filed(_ dedupeKey: DedupeKey) throws -> FiledException? {
        try state.filed(dedupeKey, workflow: workflow, session)
    }

    func spans(named name: String, startingAfter start: UInt64) throws -> [CausalNode] {
        var binds = PostgresBindings()
        binds.append(workflow)
        binds.append(ByteBuffer(string: name))
        binds.append(Int64(bitPattern: start))
        return try session.rows(PostgresQuery(unsafeSQL: StoredSpan.postgresColumns + """
             JOIN workflow_trace ON workflow_trace.trace_id = span.trace_id
            WHERE workflow_trace.workflow_id = $1 AND span.name = $2 AND span.start_time_unix_nano > $3
            ORDER BY span.start_time_unix_nano, span.trace_id, span.span_id
            """, binds: binds)).map { try StoredSpan(postgres: $0).causalNode }
    }

    func hasSpans(startingAfter time: UInt64) throws -> Bool {
        try !session.rows("""
            SELECT 1 FROM workflow_trace JOIN span ON span.trace_id = workflow_trace.trace_id
            WHERE workflow_trace.workflow_id = \(workflow) AND span.start_time_unix_nano > \(Int64(bitPattern: time)) LIMIT 1
            """).isEmpty
    }

    func reviewerApproved(tool: String) throws -> Bool {
        try !session.rows("""
            SELECT 1 FROM reviewer_approval WHERE workflow_id = \(workflow) AND tool = \(ByteBuffer(string: tool)) LIMIT 1
            """).isEmpty
    }

    func node(_ reference: SpanReference) throws -> CausalNode? {
        try PostgresSpanLookup(session: session).node(reference)
    }
}

/// Spans read one at a time on the session thread, with their links.
struct PostgresSpanLookup: SpanLookup {
    let session: PostgresSyncSession

    func node(_ reference: SpanReference) throws -> CausalNode? {
        var binds = PostgresBindings()
        binds.append(ByteBuffer(bytes: reference.traceID.bytes))
        binds.append(ByteBuffer(bytes: reference.spanID.bytes))
        let queries = PostgresStore.spanQueries(where: "span.trace_id = $1 AND span.span_id = $2",
                                                linksWhere: "span_link.trace_id = $1 AND span_link.span_id = $2", binds)
        return try PostgresStore.spans(session.rows(queries.spans), links: session.rows(queries.links)).first?.causalNode
    }
}
