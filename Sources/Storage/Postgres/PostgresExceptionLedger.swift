import Correlation
import Detection
import Foundation
import NIOCore
import PostgresNIO
import TraceModel

/// The PostgreSQL side of filing and of the writer's detection pass (`FactLedger`), inside one
/// transaction, on the session thread: what a round asks of a workflow is read for a batch of
/// workflows at once (`PostgresRoundState`), and repeats and settle windows are written a round
/// at a time. Every instance takes the stitching lock before a round's detection, a timer's or a
/// reviewer's change, so a round sees no other instance's change to the rows it reads.
struct PostgresExceptionLedger: ExceptionLedger {
    let session: PostgresSyncSession
    let setup: DetectionSetup
    let now: UInt64
    let state: PostgresRoundState
    /// Set when the transaction changed the queue.
    let changed: PostgresQueueChange

    var stamp: Int64 { Int64(bitPattern: now) }

    func context(workflow: Int64, detector: String, settled: Bool) -> PostgresDetectionContext {
        PostgresDetectionContext(session: session, state: state, workflow: workflow, detector: detector, settled: settled)
    }

    func filed(_ dedupeKey: DedupeKey, workflow: Int64) throws -> FiledException? {
        try state.filed(dedupeKey, workflow: workflow, session)
    }

    func arrived(_ spans: [SpanReference], afterClosing exception: FiledException) throws -> Bool {
        guard !spans.isEmpty else { return false }
        return try session.rows("""
            SELECT EXISTS (SELECT 1 FROM span JOIN exception ON exception.id = \(exception.id)
                JOIN unnest(\(spans.map { ByteBuffer(bytes: $0.traceID.bytes) })::bytea[], \(spans.map { ByteBuffer(bytes: $0.spanID.bytes) })::bytea[])
                    AS counted(trace_id, span_id) ON counted.trace_id = span.trace_id AND counted.span_id = span.span_id
                WHERE span.received_at_unix_nano > exception.resolved_at_unix_nano)
            """).first?.decode(Bool.self) ?? false
    }

    func open(_ detection: Detection, id: String, trigger: SpanReference,
              route: (owner: String, slaNanos: UInt64, escalateTo: String?), workflow: Int64) throws -> FiledException? {
        let rows = try session.rows("""
            INSERT INTO exception (id, class, category, severity, status, owner, sla_nanos, due_at_unix_nano, summary,
                service, tool, trace_id, span_id, dedupe_key, workflow_id, occurrences, opened_at_unix_nano, updated_at_unix_nano,
                call_id, blocking, escalate_to)
            VALUES (\(id), \(detection.exceptionClass), \(detection.category.rawValue), \(detection.severity.rawValue), 'open',
                \(ByteBuffer(string: route.owner)), \(Int64(bitPattern: route.slaNanos)), \(Int64(bitPattern: now &+ route.slaNanos)),
                \(ByteBuffer(string: detection.summary)), \(ByteBuffer(string: detection.service)), \(detection.tool.map(ByteBuffer.init(string:))),
                \(ByteBuffer(bytes: trigger.traceID.bytes)), \(ByteBuffer(bytes: trigger.spanID.bytes)), \(ByteBuffer(string: detection.dedupeKey.text)),
                \(workflow), \(Int64(detection.occurrences)), \(stamp), \(stamp), \(detection.callID.map(ByteBuffer.init(string:))),
                \(detection.blocking), \(route.escalateTo.map(ByteBuffer.init(string:))))
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """)
        guard !rows.isEmpty else { return nil }
        let filed = FiledException(id: id, status: .open, occurrences: detection.occurrences, openedAtUnixNano: stamp,
                                   triggerStartUnixNano: detection.triggerStartUnixNano)
        state.setFiled(filed, detection.dedupeKey, workflow: workflow)
        return filed
    }

    func rekey(_ exception: FiledException, to id: String, trigger: SpanReference, _ detection: Detection, workflow: Int64) throws -> FiledException? {
        try flush()   // the occurrences it carries
        var binds = PostgresBindings()
        binds.append(id)
        binds.append(ByteBuffer(bytes: trigger.traceID.bytes))
        binds.append(ByteBuffer(bytes: trigger.spanID.bytes))
        binds.append(detection.callID.map(ByteBuffer.init(string:)))
        binds.append(stamp)
        binds.append(exception.id)
        guard try !session.rows(PostgresQuery(unsafeSQL: ExceptionRekey.copy(id: "$1", trace: "$2", span: "$3", callID: "$4", now: "$5", old: "$6"),
                                              binds: binds)).isEmpty else { return nil }
        try session.execute("""
            UPDATE exception SET status = 'merged', merged_into = \(id), updated_at_unix_nano = \(stamp) WHERE id = \(exception.id)
            """)
        var moved = exception
        moved.id = id
        moved.triggerStartUnixNano = detection.triggerStartUnixNano
        state.setFiled(moved, detection.dedupeKey, workflow: workflow)
        return moved
    }

    func repeated(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64, summary: String) throws {
        state.setFiled(exception, dedupeKey, workflow: workflow)
        state.repeats.note(exception.id, occurrences: exception.occurrences, summary: summary)
    }

    func reopened(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64, summary: String) throws {
        state.setFiled(exception, dedupeKey, workflow: workflow)
        // Frozen before, it is frozen again (adding its new attempts) when its traces next age out.
        try session.execute("""
            UPDATE exception SET status = 'open', occurrences = \(Int64(exception.occurrences)), summary = \(ByteBuffer(string: summary)),
                updated_at_unix_nano = \(stamp), frozen_workflow_key = NULL, resolved_at_unix_nano = NULL, decision = NULL, decided_by = NULL, decided_at_unix_nano = NULL
            WHERE id = \(exception.id)
            """)
    }

    func resolve(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64) throws {
        try flush()
        try session.execute("""
            UPDATE exception SET status = 'resolved', resolved_at_unix_nano = \(stamp), updated_at_unix_nano = \(stamp) WHERE id = \(exception.id)
            """)
        state.forget([workflow])
        changed.note()
    }

    func merge(_ exception: FiledException, workflow: Int64, into target: String) throws {
        try flush()
        try session.execute("""
            UPDATE exception SET status = 'merged', merged_into = \(target), updated_at_unix_nano = \(stamp) WHERE id = \(exception.id)
            """)
        state.forget([workflow])
        changed.note()
    }

    func foldOnce(into id: String) throws -> Bool {
        try flush()   // the fold counts on top of the occurrences written so far
        let rows = try session.rows("""
            UPDATE exception SET occurrences = occurrences + 1, updated_at_unix_nano = \(stamp)
            WHERE id = \(id) AND NOT EXISTS (SELECT 1 FROM exception_history WHERE exception_id = \(id) AND action = 'folded')
            RETURNING id
            """)
        return !rows.isEmpty
    }

    /// Writes the history lines and repeats noted since the last flush, one statement each.
    func flush() throws {
        let lines = state.history
        state.history = []
        if !lines.isEmpty {
            try session.execute("""
                INSERT INTO exception_history (exception_id, at_unix_nano, actor, action, note, owner)
                SELECT h.id, \(stamp), h.actor, h.action, h.note, NULLIF(h.owner, '\\x00'::bytea)
                FROM unnest(\(lines.map(\.id))::text[], \(lines.map { ByteBuffer(string: $0.actor) })::bytea[], \(lines.map(\.action))::text[],
                            \(lines.map { ByteBuffer(string: $0.note) })::bytea[], \(lines.map { $0.owner.map(ByteBuffer.init(string:)) ?? Self.noOwner })::bytea[])
                    WITH ORDINALITY AS h(id, actor, action, note, owner, position)
                ORDER BY h.position
                """)
        }
        let entries = state.repeats.takeEntries()
        guard !entries.isEmpty else { return }
        try session.execute("""
            UPDATE exception SET occurrences = r.occurrences, summary = r.summary, updated_at_unix_nano = \(stamp)
            FROM unnest(\(entries.map(\.id))::text[], \(entries.map { Int64($0.occurrences) })::int8[],
                        \(entries.map { ByteBuffer(string: $0.summary) })::bytea[]) AS r(id, occurrences, summary)
            WHERE exception.id = r.id
            """)
    }

    func appendHistory(_ id: String, action: String, note: String, owner: String?) throws {
        try appendHistory(id, action: action, note: note, owner: owner, actor: "causeway")
    }

    /// Appends a history line written by `actor` (a reviewer, or `causeway`); the notifications
    /// it triggers go to the outbox in this transaction.
    func appendHistory(_ id: String, action: String, note: String, owner: String?, actor: String) throws {
        state.history.append((id, actor, action, note, owner))
        changed.note()
        let plan = setup.notifications
        guard let event = NotificationPlan.event(forHistoryAction: action), plan.routes.contains(where: { $0.events.contains(event) }) else { return }
        try flush()   // the notification shows the item as it stands
        guard let row = try session.rows(PostgresQuery(unsafeSQL: ExceptionRecord.postgresSelection + " WHERE exception.id = $1", binds: {
            var binds = PostgresBindings()
            binds.append(id)
            return binds
        }())).first else { return }
        let record = try ExceptionRecord(postgres: row)
        for route in plan.routes where route.wants(event, record) {
            let deliveryID = "dlv_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let body = plan.render(route.name, event, record, deliveryID, now)
            try session.execute("""
                INSERT INTO notification_outbox (delivery_id, target, event, exception_id, body, created_at_unix_nano, next_attempt_at_unix_nano)
                VALUES (\(deliveryID), \(route.name), \(event), \(id), \(ByteBuffer(bytes: body)), \(stamp), \(stamp))
                """)
        }
    }

    /// Stands for "no owner change" in a bytea array (an owner is never one NUL byte: text is UTF-8).
    static let noOwner = ByteBuffer(bytes: [0])

    /// Writes what the round still holds: history lines, repeats, and the settle windows it ended
    /// or (re)started; called once the pass is done.
    func finishRound() throws {
        try flush()
        let windows = state.settleWindows
        state.settleWindows = [:]
        let ended = windows.filter { $0.value == nil }.keys.sorted()
        let started = windows.compactMap { workflow, due in due.map { (workflow, Int64(bitPattern: $0)) } }.sorted { $0.0 < $1.0 }
        if !ended.isEmpty {
            try session.execute("DELETE FROM workflow_settle WHERE workflow_id = ANY(\(ended)::int8[])")
        }
        if !started.isEmpty {
            try session.execute("""
                INSERT INTO workflow_settle (workflow_id, due_at_unix_nano)
                SELECT * FROM unnest(\(started.map(\.0))::int8[], \(started.map(\.1))::int8[])
                ON CONFLICT (workflow_id) DO UPDATE SET due_at_unix_nano = excluded.due_at_unix_nano
                """)
        }
    }
}

extension PostgresExceptionLedger: FactLedger {
    /// Every merge of the round at once: each absorbed workflow goes straight to the workflow it
    /// ends in (a chain A → B → C sends A to C). One statement moves the fact counts, exceptions
    /// and approvals and reads the live exceptions of the workflows that ended up together; of
    /// each pattern's, the one opened first stays (`ExceptionFiling.survivor`, a total order, so
    /// the same one as merging pair by pair), the others are marked `merged` into it in one more
    /// statement, and the histories say so.
    func mergeWorkflows(_ merges: [(absorbed: Int64, survivor: Int64)]) throws {
        try flush()
        let merged = MergedWorkflows(merges)
        let (absorbed, ends) = (merged.absorbed, merged.ends)
        let together = Array(Set(absorbed + ends)).sorted()
        let live = try session.rows("""
            WITH m AS (SELECT * FROM unnest(\(absorbed)::int8[], \(ends)::int8[]) AS m(absorbed, survivor)),
            live AS (
                SELECT exception.id, exception.status, exception.occurrences, exception.opened_at_unix_nano, exception.dedupe_key,
                    coalesce(m.survivor, exception.workflow_id) AS workflow
                FROM exception LEFT JOIN m ON m.absorbed = exception.workflow_id
                WHERE exception.workflow_id = ANY(\(together)::int8[]) AND exception.status <> 'merged'),
            gone AS (DELETE FROM fact_count USING m WHERE fact_count.workflow_id = m.absorbed RETURNING m.survivor, detector, key, count),
            counted AS (
                INSERT INTO fact_count (workflow_id, detector, key, count)
                SELECT survivor, detector, key, sum(count)::int8 FROM gone GROUP BY 1, 2, 3
                ON CONFLICT (workflow_id, detector, key) DO UPDATE SET count = fact_count.count + excluded.count),
            moved AS (UPDATE exception SET workflow_id = m.survivor FROM m WHERE exception.workflow_id = m.absorbed),
            approvals AS (UPDATE reviewer_approval SET workflow_id = m.survivor FROM m WHERE reviewer_approval.workflow_id = m.absorbed)
            SELECT id, status, occurrences, opened_at_unix_nano, workflow, dedupe_key FROM live ORDER BY workflow, dedupe_key, id
            """).map { row in
            let (id, status, occurrences, opened, workflow, key) = try row.decode((String, String, Int64, Int64, Int64, ByteBuffer).self)
            return (workflow: workflow, pattern: String(buffer: key), exception: FiledException(id: id, status: ExceptionStatus(rawValue: status) ?? .open,
                                                                               occurrences: Int(occurrences), openedAtUnixNano: opened))
        }
        let pairs = ExceptionFiling<Self>.duplicates(live)
        if !pairs.isEmpty {
            try session.execute("""
                UPDATE exception SET status = CASE WHEN exception.id = p.merged THEN 'merged' ELSE exception.status END,
                    merged_into = CASE WHEN exception.id = p.merged THEN p.kept ELSE exception.merged_into END, updated_at_unix_nano = \(stamp)
                FROM unnest(\(pairs.map(\.merged))::text[], \(pairs.map(\.kept))::text[]) AS p(merged, kept)
                WHERE exception.id IN (p.merged, p.kept)
                """)
            for line in ExceptionFiling<Self>.mergeHistory(pairs) { try appendHistory(line.id, action: "merged", note: line.note, owner: nil) }
        }
        state.forget(together)
        changed.note()   // a trace's workflow, and so its decisions, may have changed
    }

    func addCounts(_ deltas: [WorkflowKey: Int]) throws {
        let changes = deltas.filter { $0.value != 0 }.sorted { first, second in
            (first.key.workflow, first.key.detector, first.key.key) < (second.key.workflow, second.key.detector, second.key.key)
        }
        try state.load(Set(deltas.keys.map(\.workflow)).union(state.active), session)
        guard !changes.isEmpty else { return }
        for row in try session.rows("""
            INSERT INTO fact_count (workflow_id, detector, key, count)
            SELECT * FROM unnest(\(changes.map(\.key.workflow))::int8[], \(changes.map(\.key.detector))::text[],
                                 \(changes.map { ByteBuffer(string: $0.key.key) })::bytea[], \(changes.map { Int64($0.value) })::int8[])
            ON CONFLICT (workflow_id, detector, key) DO UPDATE SET count = fact_count.count + excluded.count
            RETURNING workflow_id, detector, key, count
            """) {
            let (workflow, detector, key, count) = try row.decode((Int64, String, ByteBuffer, Int64).self)
            state.setCount(Int(count), for: WorkflowKey(workflow: workflow, detector: detector, key: String(buffer: key)))
        }
    }

    func keys(workflow: Int64, detector: String) throws -> [String] {
        try state.keys(workflow: workflow, detector: detector, session)
    }

    func allKeys(workflow: Int64) throws -> [(detector: String, key: String)] {
        try state.allKeys(workflow: workflow, session)
    }

    func setSettleWindows(_ workflows: [Int64], dueAt: UInt64?) throws {
        for workflow in workflows { state.settleWindows[workflow] = .some(dueAt) }
    }
}
