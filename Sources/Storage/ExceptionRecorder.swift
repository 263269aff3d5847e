import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

/// Turns detections into queue items inside the writer's transaction: opens an exception the
/// first time a pattern completes in a workflow, counts repeats, and reopens a resolved or
/// dismissed one when the pattern recurs. Every change appends to the history.
struct ExceptionRecorder {
    let db: Database
    let store: TraceStore
    let now: UInt64
    /// Repeats of active exceptions not yet written: a round writes them together (`flush`).
    let repeats = RepeatedOccurrences()
    var cache: DetectionCache { store.detectionCache }

    /// Files `detection`, found in workflow `workflow`; returns the exception id and whether it was newly opened.
    @discardableResult
    func record(_ detection: Detection, workflow: Int64) throws -> (id: String, opened: Bool)? {
        if let target = detection.foldsInto, let existing = try cache.filed(target, workflow: workflow, db) {
            return try fold(detection, into: existing)
        }
        guard let existing = try cache.filed(detection.dedupeKey, workflow: workflow, db) else {
            guard let id = detection.exceptionID, let trigger = detection.trigger else { return nil }
            let route = store.owners.route(detection)
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
            guard db.changesCount > 0 else { return (id, false) }
            cache.setFiled(DetectionCache.Filed(id: id, status: .open, occurrences: detection.occurrences, openedAtUnixNano: Int64(bitPattern: now)),
                           detection.dedupeKey, workflow: workflow)
            try appendHistory(id, action: "opened", note: detection.summary, owner: route.owner)
            return (id, true)
        }
        let (id, occurrences, status) = (existing.id, existing.occurrences, existing.status)
        guard detection.occurrences > occurrences else { return (id, false) }
        var updated = existing
        updated.status = status.isActive ? status : .open
        updated.occurrences = detection.occurrences
        cache.setFiled(updated, detection.dedupeKey, workflow: workflow)
        if status.isActive {
            repeats.note(id, occurrences: detection.occurrences, summary: detection.summary)
            // The count moves on every repeat; the history notes it at 2, 4, 8, … occurrences.
            if Self.crossesPowerOfTwo(from: occurrences, to: detection.occurrences) {
                try appendHistory(id, action: "recurred", note: "occurrence \(detection.occurrences): \(detection.summary)", owner: nil)
            }
        } else {
            try db.cachedStatement(sql: """
                UPDATE exception SET status = 'open', occurrences = ?, summary = ?, updated_at_unix_nano = ?,
                    resolved_at_unix_nano = NULL, decision = NULL, decided_by = NULL, decided_at_unix_nano = NULL WHERE id = ?
                """).execute(arguments: [detection.occurrences, detection.summary, Int64(bitPattern: now), id])
            try appendHistory(id, action: "reopened", note: "recurred after it was \(status.rawValue): \(detection.summary)", owner: nil)
        }
        return (id, false)
    }

    /// Folds a detection into the exception already filed for its root cause: one more
    /// occurrence and a `folded` history line, once.
    private func fold(_ detection: Detection, into existing: DetectionCache.Filed) throws -> (id: String, opened: Bool) {
        let id = existing.id
        try flush()   // the fold counts on top of the occurrences written so far
        let already = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM exception_history WHERE exception_id = ? AND action = 'folded')
            """), arguments: [id]) ?? false
        guard !already else { return (id, false) }
        try db.cachedStatement(sql: """
            UPDATE exception SET occurrences = occurrences + 1, updated_at_unix_nano = ? WHERE id = ?
            """).execute(arguments: [Int64(bitPattern: now), id])
        try appendHistory(id, action: "folded", note: "\(detection.exceptionClass): \(detection.summary)", owner: nil)
        return (id, false)
    }

    /// Writes the repeats noted since the last flush, in one statement.
    func flush() throws {
        guard let updates = repeats.take() else { return }
        try db.cachedStatement(sql: """
            UPDATE exception SET occurrences = repeat.value ->> 1, summary = repeat.value ->> 2, updated_at_unix_nano = ?
            FROM json_each(?) AS repeat WHERE exception.id = repeat.value ->> 0
            """).execute(arguments: [Int64(bitPattern: now), updates])
    }

    /// Whether a power of two lies in (old, new].
    static func crossesPowerOfTwo(from old: Int, to new: Int) -> Bool {
        new > old && (Int.bitWidth - new.leadingZeroBitCount) > (Int.bitWidth - max(old, 0).leadingZeroBitCount)
    }

    /// Folds the exceptions `absorbed` brings into a merge whose pattern the survivor already
    /// has: one exception per pattern per workflow. The one opened first stays; the other is
    /// marked `merged` (with `merged_into`), and both histories say so.
    func mergeDuplicates(absorbed: Int64, into survivor: Int64) throws {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, dedupe_key, opened_at_unix_nano FROM exception WHERE workflow_id = ? AND status != 'merged'
            """), arguments: [absorbed])
        for row in rows {
            let id: String = row["id"]
            guard let dedupeKey = DedupeKey(text: row["dedupe_key"]), let kept = try Self.filed(db, dedupeKey: dedupeKey, workflow: survivor) else { continue }
            var keptID = kept.id
            var mergedID = id
            let absorbedOpened: Int64 = row["opened_at_unix_nano"]
            if (absorbedOpened, id) < (kept.openedAtUnixNano, keptID) { swap(&keptID, &mergedID) }
            try db.cachedStatement(sql: """
                UPDATE exception SET status = 'merged', merged_into = ?, updated_at_unix_nano = ? WHERE id = ?
                """).execute(arguments: [keptID, Int64(bitPattern: now), mergedID])
            try db.cachedStatement(sql: "UPDATE exception SET updated_at_unix_nano = ? WHERE id = ?").execute(arguments: [Int64(bitPattern: now), keptID])
            try appendHistory(mergedID, action: "merged", note: "merged into \(keptID): the same pattern, once their workflows joined", owner: nil)
            try appendHistory(keptID, action: "merged", note: "\(mergedID) merged into it: the same pattern, once their workflows joined", owner: nil)
        }
    }

    /// The exception already filed for this pattern in the workflow, if any.
    static func filed(_ db: Database, dedupeKey: DedupeKey, workflow: Int64) throws -> DetectionCache.Filed? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT id, status, occurrences, opened_at_unix_nano FROM exception WHERE workflow_id = ? AND dedupe_key = ? AND status != 'merged'
            ORDER BY opened_at_unix_nano, id LIMIT 1
            """), arguments: [workflow, dedupeKey.text]).map { row in
            DetectionCache.Filed(id: row["id"], status: ExceptionStatus(rawValue: row["status"]) ?? .open, occurrences: row["occurrences"],
                                 openedAtUnixNano: row["opened_at_unix_nano"])
        }
    }

    /// Appends a history line; the change it records is also what waiters hear of after the
    /// commit, and the notifications it triggers go to the outbox in this transaction.
    func appendHistory(_ id: String, action: String, note: String, owner: String?, actor: String = "causeway") throws {
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
