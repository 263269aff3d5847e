import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

/// The SQLite side of filing (`ExceptionLedger`), inside the writer's transaction: reads what
/// is filed through the writer's cache, writes exceptions and their history, and holds the
/// repeats of a round to write them together (`flush`). Reviewer actions and timers append
/// history through it too.
struct SQLiteExceptionLedger: ExceptionLedger {
    let db: Database
    let store: TraceStore
    let now: UInt64
    /// Repeats of active exceptions not yet written: a round writes them together (`flush`).
    let repeats = RepeatedOccurrences()
    var cache: DetectionCache { store.detectionCache }

    func context(workflow: Int64, detector: String, settled: Bool) -> SQLiteDetectionContext {
        SQLiteDetectionContext(db: db, workflow: workflow, detector: detector, settled: settled, cache: cache)
    }

    func filed(_ dedupeKey: DedupeKey, workflow: Int64) throws -> FiledException? {
        try cache.filed(dedupeKey, workflow: workflow, db)
    }

    func open(_ detection: Detection, id: String, trigger: SpanReference,
              route: (owner: String, slaNanos: UInt64, escalateTo: String?), workflow: Int64) throws -> FiledException? {
        try db.cachedStatement(sql: """
            INSERT INTO exception (id, class, category, severity, status, owner, sla_nanos, due_at_unix_nano, summary,
                service, tool, trace_id, span_id, dedupe_key, workflow_id, occurrences, opened_at_unix_nano, updated_at_unix_nano,
                call_id, blocking, escalate_to)
            VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO NOTHING
            """).execute(arguments: [
                id, detection.exceptionClass, detection.category.rawValue, detection.severity.rawValue, route.owner,
                Int64(bitPattern: route.slaNanos), Int64(bitPattern: now &+ route.slaNanos), detection.summary,
                detection.service, detection.tool, Data(trigger.traceID.bytes), Data(trigger.spanID.bytes),
                detection.dedupeKey.text, workflow, detection.occurrences, Int64(bitPattern: now), Int64(bitPattern: now),
                detection.callID, detection.blocking, route.escalateTo,
            ])
        guard db.changesCount > 0 else { return nil }
        let filed = FiledException(id: id, status: .open, occurrences: detection.occurrences, openedAtUnixNano: Int64(bitPattern: now),
                                   triggerStartUnixNano: detection.triggerStartUnixNano)
        cache.setFiled(filed, detection.dedupeKey, workflow: workflow)
        return filed
    }

    func rekey(_ exception: FiledException, to id: String, trigger: SpanReference, _ detection: Detection, workflow: Int64) throws -> FiledException? {
        try flush()
        let now = Int64(bitPattern: now)
        guard try String.fetchOne(db.cachedStatement(sql: ExceptionRekey.copy(id: "?", trace: "?", span: "?", callID: "?", now: "?", old: "?")),
                                  arguments: [id, Data(trigger.traceID.bytes), Data(trigger.spanID.bytes), detection.callID, now, exception.id]) != nil
        else { return nil }
        try db.cachedStatement(sql: "UPDATE exception SET status = 'merged', merged_into = ?, updated_at_unix_nano = ? WHERE id = ?")
            .execute(arguments: [id, now, exception.id])
        var moved = exception
        moved.id = id
        moved.triggerStartUnixNano = detection.triggerStartUnixNano
        cache.setFiled(moved, detection.dedupeKey, workflow: workflow)
        return moved
    }

    func repeated(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64, summary: String) throws {
        cache.setFiled(exception, dedupeKey, workflow: workflow)
        repeats.note(exception.id, occurrences: exception.occurrences, summary: summary)
    }

    func reopened(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64, summary: String) throws {
        cache.setFiled(exception, dedupeKey, workflow: workflow)
        // Frozen before, it is frozen again (adding its new attempts) when its traces next age out.
        try db.cachedStatement(sql: """
            UPDATE exception SET status = 'open', occurrences = ?, summary = ?, updated_at_unix_nano = ?, frozen_workflow_key = NULL,
                resolved_at_unix_nano = NULL, decision = NULL, decided_by = NULL, decided_at_unix_nano = NULL WHERE id = ?
            """).execute(arguments: [exception.occurrences, summary, Int64(bitPattern: now), exception.id])
    }

    func resolve(_ exception: FiledException, _ dedupeKey: DedupeKey, workflow: Int64) throws {
        try flush()
        try db.cachedStatement(sql: "UPDATE exception SET status = 'resolved', resolved_at_unix_nano = ?1, updated_at_unix_nano = ?1 WHERE id = ?2")
            .execute(arguments: [Int64(bitPattern: now), exception.id])
        var resolved = exception
        resolved.status = .resolved
        cache.setFiled(resolved, dedupeKey, workflow: workflow)
    }

    func merge(_ exception: FiledException, workflow: Int64, into target: String) throws {
        try flush()
        try db.cachedStatement(sql: "UPDATE exception SET status = 'merged', merged_into = ?, updated_at_unix_nano = ? WHERE id = ?")
            .execute(arguments: [target, Int64(bitPattern: now), exception.id])
        cache.forgetFiled(workflows: [workflow])   // the pattern's next item, if any, is read again
    }

    func foldOnce(into id: String) throws -> Bool {
        try flush()   // the fold counts on top of the occurrences written so far
        let already = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM exception_history WHERE exception_id = ? AND action = 'folded')
            """), arguments: [id]) ?? false
        guard !already else { return false }
        try db.cachedStatement(sql: """
            UPDATE exception SET occurrences = occurrences + 1, updated_at_unix_nano = ? WHERE id = ?
            """).execute(arguments: [Int64(bitPattern: now), id])
        return true
    }

    /// Writes the repeats noted since the last flush, a chunk of rows a statement (`ValuesList`).
    func flush() throws {
        let entries = repeats.takeEntries()
        let now = Int64(bitPattern: now)
        try ValuesList.execute(db, columns: 4, rows: entries, sql: { list in
            """
            UPDATE exception SET occurrences = repeat.column2, summary = repeat.column3, updated_at_unix_nano = repeat.column4
            FROM (VALUES \(list)) AS repeat WHERE exception.id = repeat.column1
            """
        }, bind: { statement, entry in
            statement.bind(text: entry.id)
            statement.bind(entry.occurrences)
            statement.bind(text: entry.summary)
            statement.bind(now)
        })
    }

    func arrived(_ spans: [SpanReference], afterClosing exception: FiledException) throws -> Bool {
        try spans.contains { span in
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM span JOIN exception ON exception.id = ?
                    WHERE span.trace_id = ? AND span.span_id = ? AND span.received_at_unix_nano > exception.resolved_at_unix_nano)
                """), arguments: [exception.id, Data(span.traceID.bytes), Data(span.spanID.bytes)]) ?? false
        }
    }

    /// The exception already filed for this pattern in the workflow, if any.
    static func filed(_ db: Database, dedupeKey: DedupeKey, workflow: Int64) throws -> FiledException? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT exception.id, exception.status, exception.occurrences, exception.opened_at_unix_nano, span.start_time_unix_nano AS trigger_start
            FROM exception LEFT JOIN span ON span.trace_id = exception.trace_id AND span.span_id = exception.span_id
            WHERE exception.workflow_id = ? AND exception.dedupe_key = ? AND exception.status != 'merged'
            ORDER BY exception.opened_at_unix_nano, exception.id LIMIT 1
            """), arguments: [workflow, dedupeKey.text]).map(filed)
    }

    /// A row's id, status, occurrences, opening time and (when selected) its trigger's start.
    static func filed(_ row: Row) -> FiledException {
        FiledException(id: row["id"], status: ExceptionStatus(rawValue: row["status"]) ?? .open, occurrences: row["occurrences"],
                       openedAtUnixNano: row["opened_at_unix_nano"],
                       triggerStartUnixNano: row.hasColumn("trigger_start") ? (row["trigger_start"] as Int64?).map { UInt64(bitPattern: $0) } : nil)
    }

    /// Appends a history line; the change it records is also what waiters hear of after the
    /// commit, and the notifications it triggers go to the outbox in this transaction.
    func appendHistory(_ id: String, action: String, note: String, owner: String?) throws {
        try appendHistory(id, action: action, note: note, owner: owner, actor: "causeway")
    }

    /// Appends a history line written by `actor` (a reviewer, or `causeway`).
    func appendHistory(_ id: String, action: String, note: String, owner: String?, actor: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO exception_history (exception_id, at_unix_nano, actor, action, note, owner) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, Int64(bitPattern: now), actor, action, note, owner])
        store.noteQueueChange()
        let plan = store.notifications
        // `recurred` lines are frequent on the writer's path: read the item only when a route takes the event.
        guard let event = NotificationPlan.event(forHistoryAction: action), plan.routes.contains(where: { $0.events.contains(event) }) else { return }
        try flush()   // the notification shows the item as it stands
        guard let row = try Row.fetchOne(db, sql: ExceptionRecord.selection + " WHERE exception.id = ?", arguments: [id]) else { return }
        let record = try ExceptionRecord(row: row)
        for route in plan.routes where route.wants(event, record) {
            let deliveryID = "dlv_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let body = plan.render(route.name, event, record, deliveryID, now)
            try db.cachedStatement(sql: """
                INSERT INTO notification_outbox (delivery_id, target, event, exception_id, body, created_at_unix_nano, next_attempt_at_unix_nano)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [deliveryID, route.name, event, id, Data(body), Int64(bitPattern: now), Int64(bitPattern: now)])
        }
    }
}

extension SQLiteExceptionLedger: FactLedger {
    /// Every merge of the round, each absorbed workflow straight into the one it ends in (as on
    /// PostgreSQL): its fact counts, exceptions and approvals move there, and of each pattern's
    /// live items in the workflows brought together the one opened first stays, the others
    /// marked `merged` into it (`ExceptionFiling.duplicates`; both histories say so).
    func mergeWorkflows(_ merges: [(absorbed: Int64, survivor: Int64)]) throws {
        let merged = MergedWorkflows(merges)
        let endOf = Dictionary(uniqueKeysWithValues: zip(merged.absorbed, merged.ends))
        let together = Set(merged.absorbed + merged.ends)
        var live: [(workflow: Int64, pattern: String, exception: FiledException)] = []
        for workflow in together.sorted() {
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, dedupe_key, status, occurrences, opened_at_unix_nano FROM exception WHERE workflow_id = ? AND status != 'merged'
                """), arguments: [workflow]) {
                live.append((endOf[workflow] ?? workflow, row["dedupe_key"], Self.filed(row)))
            }
        }
        for (absorbed, survivor) in zip(merged.absorbed, merged.ends) {
            try db.cachedStatement(sql: """
                INSERT INTO fact_count (workflow_id, detector, key, count)
                SELECT ?, detector, key, count FROM fact_count WHERE workflow_id = ?
                ON CONFLICT (workflow_id, detector, key) DO UPDATE SET count = fact_count.count + excluded.count
                """).execute(arguments: [survivor, absorbed])
            try db.cachedStatement(sql: "DELETE FROM fact_count WHERE workflow_id = ?").execute(arguments: [absorbed])
            try db.cachedStatement(sql: "UPDATE exception SET workflow_id = ? WHERE workflow_id = ?").execute(arguments: [survivor, absorbed])
            try db.cachedStatement(sql: "UPDATE reviewer_approval SET workflow_id = ? WHERE workflow_id = ?").execute(arguments: [survivor, absorbed])
        }
        let pairs = ExceptionFiling<Self>.duplicates(live)
        for (keptID, mergedID) in pairs {
            try db.cachedStatement(sql: """
                UPDATE exception SET status = 'merged', merged_into = ?, updated_at_unix_nano = ? WHERE id = ?
                """).execute(arguments: [keptID, Int64(bitPattern: now), mergedID])
        }
        for keptID in Set(pairs.map(\.kept)).sorted() {
            try db.cachedStatement(sql: "UPDATE exception SET updated_at_unix_nano = ? WHERE id = ?").execute(arguments: [Int64(bitPattern: now), keptID])
        }
        for line in ExceptionFiling<Self>.mergeHistory(pairs) { try appendHistory(line.id, action: "merged", note: line.note, owner: nil) }
        cache.forgetFiled(workflows: together)   // counts, keys and first facts were joined as the stitcher merged (`DetectionCache.stitched`)
        store.noteQueueChange()   // a trace's workflow, and so its decisions, may have changed
    }

    func addCounts(_ deltas: [WorkflowKey: Int]) throws {
        try FactCounts.add(deltas, db)
        for (item, delta) in deltas where delta != 0 { cache.addCount(delta, to: item) }
    }

    func keys(workflow: Int64, detector: String) throws -> [String] {
        try cache.keys(workflow: workflow, detector: detector, db)
    }

    func hasKeys(workflow: Int64, detector: String) throws -> Bool {
        try cache.hasKeys(workflow: workflow, detector: detector, db)
    }

    func allKeys(workflow: Int64) throws -> [(detector: String, key: String)] {
        if let known = cache.allKeys(workflow: workflow) { return known }
        return try Row.fetchAll(db.cachedStatement(sql: "SELECT detector, key FROM fact_count WHERE workflow_id = ?"), arguments: [workflow]).map { row in
            (row["detector"], row["key"])
        }
    }

    /// A chunk of workflows a statement (`ValuesList`): an upsert per workflow, hundreds a round
    /// on a busy load, was a twentieth of detection's time.
    func setSettleWindows(_ workflows: [Int64], dueAt: UInt64?) throws {
        guard let dueAt else {
            try ValuesList.execute(db, columns: 1, rows: workflows, sql: { "DELETE FROM workflow_settle WHERE workflow_id IN (\($0))" },
                                   bind: { statement, workflow in statement.bind(workflow) })
            return
        }
        try ValuesList.execute(db, columns: 2, rows: workflows, sql: { list in
            """
            INSERT INTO workflow_settle (workflow_id, due_at_unix_nano) VALUES \(list)
            ON CONFLICT (workflow_id) DO UPDATE SET due_at_unix_nano = excluded.due_at_unix_nano
            """
        }, bind: { statement, workflow in
            statement.bind(workflow)
            statement.bind(dueAt)
        })
    }
}
