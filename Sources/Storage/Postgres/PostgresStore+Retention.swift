import Correlation
import Foundation
import NIOCore
import PostgresNIO
import TraceModel

/// Retention on PostgreSQL (DESIGN.md §10), as on SQLite (`TraceStore+Retention`): quiet
/// workflows age out whole, living ones lose their old traces, and closed items get their story
/// frozen in first. Each batch is one transaction holding the stitching lock, so no round of any
/// instance stitches into a workflow while it goes, and several instances sweeping at once
/// delete each row once (the second finds nothing left). Set-based: a batch is a handful of
/// statements whatever its size, plus the freezing of the items it touches.
extension PostgresStore: RetentionStore {
    public func sweepExpired(receivedBefore cutoff: UInt64, after: Int64, limit: Int) async throws -> SweptWorkflows {
        try await queueWrite(now: cutoff) { ledger -> SweptWorkflows in
            let session = ledger.session
            let expired = try session.rows("""
                SELECT id FROM workflow
                WHERE id > \(after) AND last_received_at_unix_nano < \(Int64(bitPattern: cutoff))
                  AND NOT EXISTS (SELECT 1 FROM exception WHERE exception.workflow_id = workflow.id AND status IN ('open', 'acknowledged'))
                ORDER BY id LIMIT \(Int64(limit))
                """).map { try $0.decode(Int64.self) }
            guard let last = expired.last else { return SweptWorkflows(lastWorkflowID: after) }
            try Self.freezeEvidence(session, where: "exception.workflow_id = ANY($1)", expired, plan: self.plan)
            let spans = try session.rows("""
                WITH traces AS (SELECT trace_id FROM workflow_trace WHERE workflow_id = ANY(\(expired)::int8[])),
                     links AS (DELETE FROM span_link WHERE trace_id IN (SELECT trace_id FROM traces)),
                     facts AS (DELETE FROM detection_fact WHERE trace_id IN (SELECT trace_id FROM traces)),
                     wrappers AS (DELETE FROM failed_child WHERE trace_id IN (SELECT trace_id FROM traces)),
                     correlations AS (DELETE FROM correlation_value WHERE trace_id IN (SELECT trace_id FROM traces)),
                     members AS (DELETE FROM workflow_trace WHERE workflow_id = ANY(\(expired)::int8[])),
                     counts AS (DELETE FROM fact_count WHERE workflow_id = ANY(\(expired)::int8[])),
                     settles AS (DELETE FROM workflow_settle WHERE workflow_id = ANY(\(expired)::int8[])),
                     approvals AS (DELETE FROM reviewer_approval WHERE workflow_id = ANY(\(expired)::int8[])),
                     workflows AS (DELETE FROM workflow WHERE id = ANY(\(expired)::int8[])),
                     spans AS (DELETE FROM span WHERE trace_id IN (SELECT trace_id FROM traces) RETURNING 1)
                SELECT count(*) FROM spans
                """).first?.decode(Int64.self) ?? 0
            return SweptWorkflows(workflows: expired.count, spans: Int(spans), lastWorkflowID: last)
        }
    }

    public func sweepAgedTraces(receivedBefore cutoff: UInt64, after cursor: AgedTraceCursor?) async throws
        -> (traces: Int, spans: Int, next: AgedTraceCursor?) {
        try await queueWrite(now: cutoff) { ledger -> (traces: Int, spans: Int, next: AgedTraceCursor?) in
            let session = ledger.session
            let cut = Int64(bitPattern: cutoff)
            let examined = try session.rows("""
                SELECT trace_id, first_received_at_unix_nano FROM workflow_trace
                WHERE NOT aged_out AND first_received_at_unix_nano < \(cut)
                  AND (first_received_at_unix_nano, trace_id)
                      > (\(cursor?.firstReceivedAtUnixNano ?? Int64.min), \(ByteBuffer(bytes: cursor?.traceID ?? Data())))
                ORDER BY first_received_at_unix_nano, trace_id LIMIT \(Int64(TraceStore.agedTraceScan))
                """).map { try $0.decode((ByteBuffer, Int64).self) }
            guard let last = examined.last else { return (0, 0, nil) }
            let next = AgedTraceCursor(firstReceivedAtUnixNano: last.1, traceID: Data(last.0.readableBytesView))
            // Of those, the traces every span of which is old, in workflows no active item holds.
            let aging = try session.rows("""
                SELECT workflow_trace.trace_id, workflow_trace.workflow_id FROM workflow_trace
                WHERE workflow_trace.trace_id = ANY(\(examined.map(\.0))::bytea[])
                  AND EXISTS (SELECT 1 FROM span WHERE span.trace_id = workflow_trace.trace_id)
                  AND NOT EXISTS (SELECT 1 FROM span WHERE span.trace_id = workflow_trace.trace_id AND span.received_at_unix_nano >= \(cut))
                  AND NOT EXISTS (SELECT 1 FROM exception WHERE exception.workflow_id = workflow_trace.workflow_id
                                  AND status IN ('open', 'acknowledged'))
                """).map { try $0.decode((ByteBuffer, Int64).self) }
            // Those known only from links (no span stored) stay, for the traces that find the workflow
            // through them, marked so later sweeps pass them by (not in a workflow an active item
            // keeps whole); a span of one brings it back.
            try session.execute("""
                UPDATE workflow_trace SET aged_out = true WHERE trace_id = ANY(\(examined.map(\.0))::bytea[])
                  AND NOT EXISTS (SELECT 1 FROM span WHERE span.trace_id = workflow_trace.trace_id)
                  AND NOT EXISTS (SELECT 1 FROM exception WHERE exception.workflow_id = workflow_trace.workflow_id
                                  AND status IN ('open', 'acknowledged'))
                """)
            guard !aging.isEmpty else { return (0, 0, next) }
            let traces = aging.map(\.0)
            let workflows = Array(Set(aging.map(\.1))).sorted()
            // The closed items of those workflows keep their story as it was before any of it goes.
            try Self.freezeEvidence(session, where: """
                exception.workflow_id = ANY($1) AND exception.frozen_workflow_key IS NULL AND exception.status <> 'merged'
                """, workflows, plan: self.plan)
            // Their facts stay counted (as on SQLite): a pattern's count is how often it happened in
            // the workflow, kept or aged out.
            let spans = try session.rows("""
                WITH links AS (DELETE FROM span_link WHERE trace_id = ANY(\(traces)::bytea[])),
                     facts AS (DELETE FROM detection_fact WHERE trace_id = ANY(\(traces)::bytea[])),
                     wrappers AS (DELETE FROM failed_child WHERE trace_id = ANY(\(traces)::bytea[])),
                     aged AS (UPDATE workflow_trace SET aged_out = true WHERE trace_id = ANY(\(traces)::bytea[])),
                     spans AS (DELETE FROM span WHERE trace_id = ANY(\(traces)::bytea[]) RETURNING trace_id),
                     per AS (SELECT workflow_trace.workflow_id, count(*) AS n FROM spans
                             JOIN workflow_trace ON workflow_trace.trace_id = spans.trace_id GROUP BY 1),
                     counted AS (UPDATE workflow SET span_count = greatest(0, span_count - per.n) FROM per WHERE workflow.id = per.workflow_id)
                SELECT coalesce(sum(n), 0)::int8 FROM per
                """).first?.decode(Int64.self) ?? 0
            return (traces.count, Int(spans), next)
        }
    }

    /// Nothing to do: PostgreSQL's autovacuum makes the space of deleted rows reusable.
    public func reclaimSpace() async throws {}

    /// Freezes the story of every exception `condition` (over `exception`, `$1` the workflow ids)
    /// selects: the spans and links of every trace its causal path or receipts touch go into the
    /// evidence tables, the spans its pattern counted marked, and its workflow's name into it.
    static func freezeEvidence(_ session: PostgresSyncSession, where condition: String, _ workflows: [Int64], plan: FactPlan) throws {
        let records = try session.rows(PostgresQuery(unsafeSQL: ExceptionRecord.postgresSelection + " WHERE " + condition,
                                                     binds: binds(workflows))).map(ExceptionRecord.init(postgres:))
        for record in records {
            let counted = try countedAttempts(record, plan: plan, session)
            let path = try CausalPath.to(record.trigger, in: PostgresSpanLookup(session: session))
            let traces = FrozenEvidence.traces(trigger: record.trigger, path: path, counted: counted).map { ByteBuffer(bytes: $0.bytes) }
            try session.execute("""
                WITH counted AS (SELECT * FROM unnest(\(counted.map { ByteBuffer(bytes: $0.traceID.bytes) })::bytea[],
                                                      \(counted.map { ByteBuffer(bytes: $0.spanID.bytes) })::bytea[]) AS t(trace_id, span_id)),
                     spans AS (INSERT INTO evidence_span
                               SELECT \(record.id), span.*, (span.trace_id, span.span_id) IN (SELECT trace_id, span_id FROM counted)
                               FROM span WHERE span.trace_id = ANY(\(traces)::bytea[])
                               ON CONFLICT (exception_id, trace_id, span_id) DO UPDATE SET receipt = evidence_span.receipt OR excluded.receipt),
                     links AS (INSERT INTO evidence_link SELECT \(record.id), span_link.* FROM span_link WHERE span_link.trace_id = ANY(\(traces)::bytea[])
                               ON CONFLICT DO NOTHING)
                UPDATE exception SET frozen_workflow_key = workflow.key_trace_id FROM workflow
                WHERE exception.id = \(record.id) AND workflow.id = exception.workflow_id
                """)
        }
    }

    /// The spans the exception's pattern counted, for its receipts (`FactPlan.receipts`).
    static func countedAttempts(_ record: ExceptionRecord, plan: FactPlan, _ session: PostgresSyncSession) throws -> [SpanReference] {
        guard let pattern = record.dedupeKey else { return [] }
        let facts = try PostgresDetectionContext(session: session, state: PostgresRoundState(), workflow: record.workflowID,
                                                 detector: pattern.detector, settled: false).facts(pattern.key)
        return plan.receipts(of: facts, detector: pattern.detector)
    }

    /// The story frozen into an exception, nil when none is (its spans have not aged out).
    static func frozenEvidence(of id: String, _ session: PostgresSyncSession) throws -> FrozenEvidence? {
        let queries = spanQueries(table: "evidence_span", linkTable: "evidence_link", where: "span.exception_id = $1",
                                  linksWhere: "span_link.exception_id = $1", binds(id))
        let spans = try spans(session.rows(queries.spans), links: session.rows(queries.links))
        guard !spans.isEmpty else { return nil }
        let counted = try session.rows("SELECT trace_id, span_id FROM evidence_span WHERE exception_id = \(id) AND receipt").compactMap { row in
            let (trace, span) = try row.decode((ByteBuffer, ByteBuffer).self)
            return TraceID(buffer: trace).flatMap { trace in SpanID(buffer: span).map { SpanReference(traceID: trace, spanID: $0) } }
        }
        return FrozenEvidence(spans: spans, counted: counted)
    }
}
