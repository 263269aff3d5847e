import Correlation
import NIOCore
import PostgresNIO
import TraceModel

extension PostgresStore: SpanRecorder {
    /// Serializes stitching across instances: a round takes it (until its commit) before it reads
    /// the membership of its traces, so two rounds joining the same workflow never interleave.
    static let stitchLock: Int64 = 0x6361_7573_6974_6368

    /// Stores a round of requests in one transaction: resources and scopes once each, the spans
    /// not stored before (one statement for the round), their links, and the workflow
    /// membership of their traces. Returns once committed. Every row lock it takes (resources,
    /// scopes, span keys, then the stitching lock) it takes in an order that depends only on the
    /// data, never on arrival, so two instances writing the same rows wait for each other rather
    /// than deadlock; a deadlock or serialization failure all the same runs the round again.
    func recordSpans(_ batches: [SpanRows], receivedAt: UInt64) async throws -> Recorded {
        let logger = logger
        defer { publishQueueChange() }
        return try await PostgresFailure.retrying {
            try await transaction { connection in
                try await self.record(batches, receivedAt: receivedAt, connection)
            }
        }
    }

    func record(_ batches: [SpanRows], receivedAt: UInt64, _ connection: PostgresConnection) async throws -> Recorded {
        // The same content sorts the same on every instance: the order row locks are taken in.
        func order(_ resource: SpanRows.ResourceRow) -> String {
            [resource.serviceName, String(decoding: resource.attributes, as: UTF8.self), String(resource.droppedAttributesCount), resource.schemaURL]
                .joined(separator: "\u{1F}")
        }
        func order(_ scope: SpanRows.ScopeRow) -> String {
            [scope.name, scope.version, String(decoding: scope.attributes, as: UTF8.self), String(scope.droppedAttributesCount), scope.schemaURL]
                .joined(separator: "\u{1F}")
        }
        var resourceIDs: [SpanRows.ResourceRow: Int64] = [:]
        for resource in Set(batches.flatMap(\.resources)).sorted(by: { order($0) < order($1) }) {
            resourceIDs[resource] = try await Self.resourceID(resource, connection, logger)
        }
        var scopeIDs: [SpanRows.ScopeRow: Int64] = [:]
        for scope in Set(batches.flatMap(\.scopes)).sorted(by: { order($0) < order($1) }) {
            scopeIDs[scope] = try await Self.scopeID(scope, connection, logger)
        }
        var rows: [(span: SpanRows.SpanRow, resource: Int64, scope: Int64)] = []
        for batch in batches {
            for span in batch.spans {
                guard let resource = resourceIDs[batch.resources[span.resourceIndex]], let scope = scopeIDs[batch.scopes[span.scopeIndex]] else {
                    throw StorageError("a span's resource or scope was not stored")
                }
                rows.append((span, resource, scope))
            }
        }
        rows.sort { first, second in
            first.span.traceID == second.span.traceID ? first.span.spanID.lexicographicallyPrecedes(second.span.spanID)
                : first.span.traceID.lexicographicallyPrecedes(second.span.traceID)
        }
        var fresh = try await Self.insertSpans(rows, receivedAt: receivedAt, connection, logger)
        let stored = fresh
        var freshRows: [SpanRows.SpanRow] = []
        var newSpansByTrace: [TraceID: Int] = [:]
        var links: [(from: TraceID, to: TraceID)] = []
        var newLinks: [(span: SpanRows.SpanRow, index: Int, link: SpanRows.LinkRow)] = []
        var inserted = 0
        var correlations: [CorrelationKey: TraceID] = [:]
        for (span, _, _) in rows where fresh.remove(span.reference) != nil {
            inserted += 1
            freshRows.append(span)
            newSpansByTrace[span.trace, default: 0] += 1
            for (index, link) in span.links.enumerated() {
                links.append((span.trace, link.trace))
                newLinks.append((span, index, link))
            }
            for correlation in span.correlations {
                let key = CorrelationKey(attribute: correlation.attribute, value: correlation.value)
                if let first = correlations[key] {
                    if first != span.trace { links.append((span.trace, first)) }
                } else {
                    correlations[key] = span.trace
                }
            }
        }
        try await Self.insertLinks(newLinks, connection, logger)
        guard !newSpansByTrace.isEmpty else { return Recorded(inserted: 0, stitching: .zero) }
        // From here to the commit the round holds the stitching lock: facts, membership and the
        // queue are read and written by one round of one instance at a time.
        try await Self.lockStitching(connection, logger)
        // Each value of the round once, in value order: the trace first recorded with it joins.
        // Under the lock, so that a retention sweep never deletes the value between the read and
        // the stitching that relies on it.
        for key in correlations.keys.sorted(by: { ($0.attribute, $0.value) < ($1.attribute, $1.value) }) {
            guard let trace = correlations[key] else { continue }
            let first = try await Self.firstTrace(with: key, recording: trace, connection, logger)
            if first != trace { links.append((trace, first)) }
        }
        var found = try await storeFacts(of: freshRows, connection, logger)
        let started = ContinuousClock.now
        let stitched = try await Self.stitch(newSpansByTrace, links: links, receivedAt: receivedAt, connection, logger)
        let stitching = ContinuousClock.now - started
        let counted = batches.flatMap { batch in
            batch.factGroups.compactMap { group -> PostgresFacts.Group? in
                let members = group.spans.map { batch.spans[$0] }.filter { stored.contains($0.reference) }
                guard !members.isEmpty, let workflow = stitched.stitcher.workflow(of: group.trace) else { return nil }
                return PostgresFacts.Group(workflow: workflow.id, trace: group.trace, detector: group.detector, key: group.key, spans: members)
            }
        }
        try await storeCountedFacts(counted, into: &found, connection, logger)
        let opened = try await detect(found, stitched: stitched, now: receivedAt, connection)
        return Recorded(inserted: inserted, stitching: stitching, detection: ContinuousClock.now - started - stitching, opened: opened)
    }

    /// Takes the stitching lock (held until the transaction ends).
    static func lockStitching(_ connection: PostgresConnection, _ logger: Logger) async throws {
        for try await _ in try await connection.query("SELECT pg_advisory_xact_lock(\(stitchLock))", logger: logger) {}   // waits for the lock
    }

    /// Inserts the spans in one statement (`unnest` over a column array each), in the order
    /// given; returns the keys of those that were new.
    static func insertSpans(_ rows: [(span: SpanRows.SpanRow, resource: Int64, scope: Int64)], receivedAt: UInt64,
                            _ connection: PostgresConnection, _ logger: Logger) async throws -> Set<SpanReference> {
        guard !rows.isEmpty else { return [] }
        let spans = rows.map(\.span)
        let none = ByteBuffer()
        let query: PostgresQuery = """
            INSERT INTO span (trace_id, span_id, parent_span_id, name, kind, start_time_unix_nano, end_time_unix_nano, status_code,
                status_message, trace_state, flags, attributes, dropped_attributes_count, events, dropped_events_count,
                dropped_links_count, resource_id, scope_id, received_at_unix_nano)
            SELECT t.trace_id, t.span_id, NULLIF(t.parent_span_id, ''::bytea), t.name, t.kind, t.start_time, t.end_time, t.status_code,
                t.status_message, t.trace_state, t.flags, t.attributes, t.dropped_attributes, t.events, t.dropped_events,
                t.dropped_links, t.resource_id, t.scope_id, \(Int64(bitPattern: receivedAt))
            FROM unnest(\(spans.map { ByteBuffer(bytes: $0.traceID) })::bytea[], \(spans.map { ByteBuffer(bytes: $0.spanID) })::bytea[],
                \(spans.map { $0.parentSpanID.map { ByteBuffer(bytes: $0) } ?? none })::bytea[],
                \(spans.map { ByteBuffer(string: $0.name) })::bytea[], \(spans.map(\.kind))::int4[],
                \(spans.map { Int64(bitPattern: $0.startTimeUnixNano) })::int8[], \(spans.map { Int64(bitPattern: $0.endTimeUnixNano) })::int8[],
                \(spans.map(\.statusCode))::int4[], \(spans.map { ByteBuffer(string: $0.statusMessage) })::bytea[],
                \(spans.map { ByteBuffer(string: $0.traceState) })::bytea[], \(spans.map { Int64($0.flags) })::int8[],
                \(spans.map { String(decoding: $0.attributes, as: UTF8.self) })::text[], \(spans.map { Int64($0.droppedAttributesCount) })::int8[],
                \(spans.map { String(decoding: $0.events, as: UTF8.self) })::text[], \(spans.map { Int64($0.droppedEventsCount) })::int8[],
                \(spans.map { Int64($0.droppedLinksCount) })::int8[], \(rows.map(\.resource))::int8[], \(rows.map(\.scope))::int8[])
                WITH ORDINALITY AS t(trace_id, span_id, parent_span_id, name, kind, start_time, end_time, status_code, status_message,
                     trace_state, flags, attributes, dropped_attributes, events, dropped_events, dropped_links, resource_id, scope_id, position)
            ORDER BY t.position
            ON CONFLICT (trace_id, span_id) DO NOTHING
            RETURNING trace_id, span_id
            """
        var fresh: Set<SpanReference> = []
        for try await (trace, span) in try await connection.query(query, logger: logger).decode((ByteBuffer, ByteBuffer).self) {
            guard let trace = TraceID(buffer: trace), let span = SpanID(buffer: span) else { throw StorageError("a stored span has a malformed id") }
            fresh.insert(SpanReference(traceID: trace, spanID: span))
        }
        return fresh
    }

    static func insertLinks(_ links: [(span: SpanRows.SpanRow, index: Int, link: SpanRows.LinkRow)],
                            _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard !links.isEmpty else { return }
        try await connection.query("""
            INSERT INTO span_link (trace_id, span_id, link_index, linked_trace_id, linked_span_id, trace_state, flags, attributes,
                dropped_attributes_count)
            SELECT * FROM unnest(\(links.map { ByteBuffer(bytes: $0.span.traceID) })::bytea[], \(links.map { ByteBuffer(bytes: $0.span.spanID) })::bytea[],
                \(links.map { Int32($0.index) })::int4[], \(links.map { ByteBuffer(bytes: $0.link.traceID) })::bytea[],
                \(links.map { ByteBuffer(bytes: $0.link.spanID) })::bytea[], \(links.map { ByteBuffer(string: $0.link.traceState) })::bytea[],
                \(links.map { Int64($0.link.flags) })::int8[], \(links.map { String(decoding: $0.link.attributes, as: UTF8.self) })::text[],
                \(links.map { Int64($0.link.droppedAttributesCount) })::int8[])
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// The row id of a resource, inserted the first time it is seen (`digest`: one row per
    /// distinct resource).
    static func resourceID(_ resource: SpanRows.ResourceRow, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        let (service, schema) = (ByteBuffer(string: resource.serviceName), ByteBuffer(string: resource.schemaURL))
        let (attributes, dropped) = (String(decoding: resource.attributes, as: UTF8.self), Int64(resource.droppedAttributesCount))
        return try await rowID(of: "a resource", connection, logger, """
            WITH input AS (SELECT md5(concat_ws(chr(31), encode(\(service)::bytea, 'hex'), \(attributes)::text, \(dropped)::text,
                                                encode(\(schema)::bytea, 'hex'))) AS digest),
            new AS (
                INSERT INTO resource (digest, service_name, attributes, dropped_attributes_count, schema_url)
                SELECT digest, \(service), \(attributes), \(dropped), \(schema) FROM input
                ON CONFLICT (digest) DO NOTHING RETURNING id)
            SELECT id FROM new UNION ALL SELECT resource.id FROM resource JOIN input USING (digest)
            """)
    }

    static func scopeID(_ scope: SpanRows.ScopeRow, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        let (name, version, schema) = (ByteBuffer(string: scope.name), ByteBuffer(string: scope.version), ByteBuffer(string: scope.schemaURL))
        let (attributes, dropped) = (String(decoding: scope.attributes, as: UTF8.self), Int64(scope.droppedAttributesCount))
        return try await rowID(of: "an instrumentation scope", connection, logger, """
            WITH input AS (SELECT md5(concat_ws(chr(31), encode(\(name)::bytea, 'hex'), encode(\(version)::bytea, 'hex'),
                                                \(attributes)::text, \(dropped)::text, encode(\(schema)::bytea, 'hex'))) AS digest),
            new AS (
                INSERT INTO scope (digest, name, version, attributes, dropped_attributes_count, schema_url)
                SELECT digest, \(name), \(version), \(attributes), \(dropped), \(schema) FROM input
                ON CONFLICT (digest) DO NOTHING RETURNING id)
            SELECT id FROM new UNION ALL SELECT scope.id FROM scope JOIN input USING (digest)
            """)
    }

    /// A correlation attribute's value (`stitch.correlation_attributes`).
    struct CorrelationKey: Hashable {
        var attribute: String
        var value: String
    }

    /// The trace first recorded with the value: `trace`, when it is the first.
    static func firstTrace(with key: CorrelationKey, recording trace: TraceID, _ connection: PostgresConnection,
                           _ logger: Logger) async throws -> TraceID {
        let value = ByteBuffer(string: key.value)
        let first: ByteBuffer = try await firstRow(of: "a correlation value", connection, logger, """
            WITH new AS (
                INSERT INTO correlation_value (attribute, value, trace_id) VALUES (\(key.attribute), \(value), \(ByteBuffer(bytes: trace.bytes)))
                ON CONFLICT (attribute, value) DO NOTHING RETURNING trace_id)
            SELECT trace_id FROM new UNION ALL SELECT trace_id FROM correlation_value WHERE attribute = \(key.attribute) AND value = \(value)
            """)
        guard let id = TraceID(buffer: first) else { throw StorageError("a stored correlation value has a malformed trace id") }
        return id
    }

    /// Runs an insert-or-read of one row by digest and returns its id. A statement that lost a
    /// race with another instance inserting the same row sees no row (its snapshot predates the
    /// other's commit); the next statement does.
    static func rowID(of what: String, _ connection: PostgresConnection, _ logger: Logger, _ query: PostgresQuery) async throws -> Int64 {
        try await firstRow(of: what, connection, logger, query)
    }

    /// The first column of the first row an insert-or-read gives, trying the statement again
    /// while it gives none (see `rowID`).
    static func firstRow<Value: PostgresDecodable>(of what: String, _ connection: PostgresConnection, _ logger: Logger,
                                                   _ query: PostgresQuery) async throws -> Value {
        for _ in 0..<3 {
            for try await value in try await connection.query(query, logger: logger).decode(Value.self) { return value }
        }
        throw StorageError("\(what) could not be stored")
    }

    /// Joins the round's traces into workflows (the caller holds the stitching lock): reads the
    /// membership of every trace the round touches, stitches on that snapshot, writes the changes
    /// in order, then counts the new spans into their workflows. Returns the stitcher (where each
    /// trace went, which workflows merged) and the workflows that got new spans.
    static func stitch(_ newSpansByTrace: [TraceID: Int], links: [(from: TraceID, to: TraceID)], receivedAt: UInt64,
                       _ connection: PostgresConnection, _ logger: Logger) async throws
        -> (stitcher: WorkflowStitcher<PostgresMembershipSnapshot>, active: Set<Int64>) {
        let touched = Array(Set(newSpansByTrace.keys).union(links.flatMap { [$0.from, $0.to] }))
        var known: [TraceID: WorkflowRecord] = [:]
        let rows = try await connection.query("""
            SELECT workflow_trace.trace_id, workflow.id, workflow.key_trace_id, workflow.trace_count
            FROM workflow_trace JOIN workflow ON workflow.id = workflow_trace.workflow_id
            WHERE workflow_trace.trace_id = ANY(\(touched.map { ByteBuffer(bytes: $0.bytes) })::bytea[])
            """, logger: logger)
        for try await (trace, id, key, count) in rows.decode((ByteBuffer, Int64, ByteBuffer, Int64).self) {
            guard let trace = TraceID(buffer: trace), let key = TraceID(buffer: key) else { throw StorageError("a stored workflow has a malformed trace id") }
            known[trace] = WorkflowRecord(id: id, key: key, traceCount: Int(count))
        }
        var reserved: [Int64] = []
        for try await id in try await connection.query("""
            SELECT nextval('workflow_id_seq') FROM generate_series(1, \(Int64(touched.count - known.count)))
            """, logger: logger).decode(Int64.self) {
            reserved.append(id)
        }
        let snapshot = PostgresMembershipSnapshot(known: known, reservedIDs: reserved)
        var stitcher = WorkflowStitcher(membership: snapshot)
        try stitcher.stitch(traces: newSpansByTrace.keys, links: links)
        try await apply(snapshot.changes, receivedAt: receivedAt, connection, logger)
        var newSpans: [Int64: Int64] = [:]
        for (trace, count) in newSpansByTrace {
            guard let workflow = stitcher.workflow(of: trace) else { continue }
            newSpans[workflow.id, default: 0] += Int64(count)
        }
        // With the counts, a trace whose spans aged out while its workflow lived on is back (a late span).
        try await connection.query("""
            WITH back AS (
                UPDATE workflow_trace SET aged_out = false
                WHERE aged_out AND trace_id = ANY(\(newSpansByTrace.keys.map { ByteBuffer(bytes: $0.bytes) })::bytea[]))
            UPDATE workflow SET span_count = span_count + t.n,
                last_received_at_unix_nano = greatest(last_received_at_unix_nano, \(Int64(bitPattern: receivedAt)))
            FROM unnest(\(Array(newSpans.keys))::int8[], \(Array(newSpans.values))::int8[]) AS t(id, n) WHERE workflow.id = t.id
            """, logger: logger)
        return (stitcher, Set(newSpans.keys))
    }

    /// Writes the membership changes a stitch made on its snapshot, a few statements a round
    /// however many there were: the workflows it created and the traces it added (a created
    /// workflow's id is new, so nothing before its creation names it), then every merge at once,
    /// each absorbed workflow straight into the one it ends in (a chain A → B → C sends A to C),
    /// then each workflow's name and trace count as the last change left them.
    static func apply(_ changes: [PostgresMembershipSnapshot.Change], receivedAt: UInt64,
                      _ connection: PostgresConnection, _ logger: Logger) async throws {
        let now = Int64(bitPattern: receivedAt)
        var created: [WorkflowRecord] = []
        var members: [(trace: TraceID, workflow: Int64)] = []
        var latest: [Int64: WorkflowRecord] = [:]
        var merges: [(absorbed: Int64, survivor: Int64)] = []
        for change in changes {
            switch change {
            case .create(let record, let traces):
                created.append(record)
                members += traces.map { ($0, record.id) }
                latest[record.id] = record
            case .add(let traces, let record):
                members += traces.map { ($0, record.id) }
                latest[record.id] = record
            case .merge(let absorbed, let merged):
                merges.append((absorbed.id, merged.id))
                latest[absorbed.id] = nil
                latest[merged.id] = merged
            }
        }
        if !created.isEmpty {
            try await connection.query("""
                INSERT INTO workflow (id, key_trace_id, trace_count, span_count, first_received_at_unix_nano, last_received_at_unix_nano)
                SELECT t.id, t.key, t.traces, 0, \(now), \(now)
                FROM unnest(\(created.map(\.id))::int8[], \(created.map { ByteBuffer(bytes: $0.key.bytes) })::bytea[],
                            \(created.map { Int64($0.traceCount) })::int8[]) AS t(id, key, traces)
                """, logger: logger)
        }
        if !members.isEmpty {
            try await connection.query("""
                INSERT INTO workflow_trace (trace_id, workflow_id, first_received_at_unix_nano)
                SELECT t.trace, t.workflow, \(now)
                FROM unnest(\(members.map { ByteBuffer(bytes: $0.trace.bytes) })::bytea[], \(members.map(\.workflow))::int8[]) AS t(trace, workflow)
                """, logger: logger)
        }
        let merged = MergedWorkflows(merges)
        if !merged.isEmpty {
            let (absorbed, ends) = (merged.absorbed, merged.ends)
            try await connection.query("""
                WITH m AS (SELECT * FROM unnest(\(absorbed)::int8[], \(ends)::int8[]) AS m(absorbed, survivor)),
                moved AS (UPDATE workflow_trace SET workflow_id = m.survivor FROM m WHERE workflow_trace.workflow_id = m.absorbed),
                gone AS (
                    SELECT m.survivor, sum(gone.span_count)::int8 AS spans, min(gone.first_received_at_unix_nano) AS first,
                        max(gone.last_received_at_unix_nano) AS last
                    FROM m JOIN workflow AS gone ON gone.id = m.absorbed GROUP BY m.survivor),
                added AS (
                    UPDATE workflow SET span_count = workflow.span_count + gone.spans,
                        first_received_at_unix_nano = least(workflow.first_received_at_unix_nano, gone.first),
                        last_received_at_unix_nano = greatest(workflow.last_received_at_unix_nano, gone.last)
                    FROM gone WHERE workflow.id = gone.survivor)
                DELETE FROM workflow USING m WHERE workflow.id = m.absorbed
                """, logger: logger)
        }
        let named = latest.values.sorted { $0.id < $1.id }
        if !named.isEmpty {
            try await connection.query("""
                UPDATE workflow SET key_trace_id = t.key, trace_count = t.traces
                FROM unnest(\(named.map(\.id))::int8[], \(named.map { ByteBuffer(bytes: $0.key.bytes) })::bytea[],
                            \(named.map { Int64($0.traceCount) })::int8[]) AS t(id, key, traces)
                WHERE workflow.id = t.id
                """, logger: logger)
        }
    }
}

extension SpanRows.SpanRow {
    /// The span's trace and span id, as `SpanReference`.
    var reference: SpanReference { SpanReference(traceID: trace, spanID: SpanID(spanID.reduce(0) { $0 << 8 | UInt64($1) })) }
}
