import Correlation
import Detection
import Foundation
import GRDB
import TraceModel

/// Why an action on an exception was refused.
public enum ExceptionActionError: Error, Equatable {
    case notFound(String)
    case invalidTransition(action: ExceptionAction, status: ExceptionStatus)
    case ownerRequired
    /// `approve` and `deny` are for `approval_required` items only.
    case notApplicable(action: ExceptionAction, exceptionClass: String)
    /// The actor may not act on items of this owner.
    case forbidden(owner: String)
}

extension TraceStore {
    /// A page of exceptions in `order`, after `cursor` (from the previous page of the same
    /// order); the next cursor is nil on the last page. `now` decides what is breached.
    public func exceptions(_ filter: ExceptionFilter, order: ExceptionOrder = .newest, limit: Int, after cursor: ExceptionCursor?,
                           now: UInt64 = 0) async throws -> (items: [ExceptionRecord], next: ExceptionCursor?) {
        try await read { db in
            var (conditions, arguments) = filter.sql(now: now)
            let column = order.column
            if let cursor {
                let key = Int64(bitPattern: cursor.sortKey)
                switch order {
                case .newest:
                    conditions.append("(exception.\(column) < ? OR (exception.\(column) = ? AND exception.id < ?))")
                case .urgency:
                    conditions.append("(exception.\(column) > ? OR (exception.\(column) = ? AND exception.id > ?))")
                }
                arguments += [key, key, cursor.id]
            }
            let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let direction = order == .newest ? "DESC" : "ASC"
            arguments += [limit + 1]
            let rows = try Row.fetchAll(db, sql: """
                \(ExceptionRecord.selection) \(clause) ORDER BY exception.\(column) \(direction), exception.id \(direction) LIMIT ?
                """, arguments: arguments)
            let items = try rows.prefix(limit).map(ExceptionRecord.init(row:))
            let next = rows.count > limit ? items.last.map { ExceptionCursor(sortKey: order.sortKey(of: $0), id: $0.id) } : nil
            return (items, next)
        }
    }

    /// How many exceptions match `filter` in each status, whatever its own status condition
    /// (merged ones left out).
    public func exceptionCounts(_ filter: ExceptionFilter, now: UInt64) async throws -> [ExceptionStatus: Int] {
        try await read { db in
            let (conditions, arguments) = filter.sql(now: now, byStatus: false)
            let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let rows = try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM exception \(clause) GROUP BY status", arguments: arguments)
            var counts: [ExceptionStatus: Int] = [:]
            for row in rows {
                if let status = ExceptionStatus(rawValue: row["status"]), status != .merged { counts[status] = row["n"] }
            }
            return counts
        }
    }

    /// The exceptions filed in the workflow that holds `trace`, oldest first (merged ones left out).
    public func exceptions(inWorkflowOf trace: TraceID) async throws -> [ExceptionRecord] {
        try await read { db in
            guard let workflow = try Int64.fetchOne(db, sql: "SELECT workflow_id FROM workflow_trace WHERE trace_id = ?",
                                                    arguments: [Data(trace.bytes)]) else { return [] }
            return try Row.fetchAll(db, sql: """
                \(ExceptionRecord.selection) WHERE exception.workflow_id = ? AND exception.status != 'merged'
                ORDER BY exception.opened_at_unix_nano, exception.id
                """, arguments: [workflow]).map(ExceptionRecord.init(row:))
        }
    }

    /// One exception with its history, workflow, causal path as it is now, and tool receipts.
    public func exception(id: String) async throws -> ExceptionDetail? {
        let typing = failureTyping
        let plan = self.plan
        return try await read { db in
            guard let row = try Row.fetchOne(db, sql: ExceptionRecord.selection + " WHERE exception.id = ?", arguments: [id]) else { return nil }
            let record = try ExceptionRecord(row: row)
            let history = try Row.fetchAll(db, sql: """
                SELECT * FROM exception_history WHERE exception_id = ? ORDER BY id
                """, arguments: [id]).map { row in
                ExceptionHistoryEntry(atUnixNano: UInt64(bitPattern: row["at_unix_nano"]), actor: row["actor"], action: row["action"],
                                      note: row["note"], owner: row["owner"])
            }
            // The story frozen into it when its spans aged out (TraceStore+Retention), if any, and the live spans.
            return try ExceptionDetail(record: record, history: history, frozen: try Self.frozenEvidence(of: id, db), live: SQLiteSpanLookup(db: db),
                                       liveCounted: try Self.countedAttempts(record, plan: plan, db), typing: typing) { trace in
                try SpanQueries.spans(db, where: "span.trace_id = ?", linksWhere: "span_link.trace_id = ?", arguments: [Data(trace.bytes)]).map(\.span)
            }
        }
    }

    /// Applies a reviewer's action and appends it to the history, if `mayAct` allows it on the
    /// item's owner as it stands in the same transaction.
    public func apply(_ action: ExceptionAction, to id: String, actor: String, owner: String?, note: String, at now: UInt64,
                      mayAct: @escaping @Sendable (String) -> Bool = { _ in true }) async throws {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: ExceptionRecord.selection + " WHERE exception.id = ?", arguments: [id]) else {
                throw ExceptionActionError.notFound(id)
            }
            let record = try ExceptionRecord(row: row)
            let change = try ReviewerChange(action, on: record, owner: owner, at: now, mayAct: mayAct)
            let (next, newOwner, resolvedAt) = (change.next, change.owner, change.resolvedAt)
            try db.execute(sql: """
                UPDATE exception SET status = ?, owner = ?, updated_at_unix_nano = ?,
                    first_action_at_unix_nano = coalesce(first_action_at_unix_nano, ?), resolved_at_unix_nano = ?
                WHERE id = ?
                """, arguments: [next.rawValue, newOwner, Int64(bitPattern: now), Int64(bitPattern: now), resolvedAt, id])
            if action.isDecision {
                try db.execute(sql: "UPDATE exception SET decision = ?, decided_by = ?, decided_at_unix_nano = ? WHERE id = ?",
                               arguments: [action.rawValue, actor, Int64(bitPattern: now), id])
            } else if action == .reopen {
                // Reopened, it waits for a new decision (the old one stays in the history).
                try db.execute(sql: "UPDATE exception SET decision = NULL, decided_by = NULL, decided_at_unix_nano = NULL WHERE id = ?",
                               arguments: [id])
            }
            if action == .approve, let tool = record.tool {
                // An approval for this call and every other call of the tool in the workflow.
                try db.execute(sql: """
                    INSERT INTO reviewer_approval (workflow_id, tool, exception_id, call_id, approver, at_unix_nano) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT DO NOTHING
                    """, arguments: [record.workflowID, tool, id, record.callID, actor, Int64(bitPattern: now)])
            }
            self.detectionCache.forgetFiled()
            try SQLiteExceptionLedger(db: db, store: self, now: now)
                .appendHistory(id, action: action.historyName, note: note, owner: newOwner == record.owner ? nil : newOwner, actor: actor)
        }
    }
}

/// Where a page of exceptions ended: the sort key (opened or due time) and id of its last item,
/// shown as `NANOS_ID`.
public struct ExceptionCursor: Sendable, Equatable {
    public var sortKey: UInt64
    public var id: String

    public init(sortKey: UInt64, id: String) {
        self.sortKey = sortKey
        self.id = id
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let nanos = UInt64(parts[0]), parts[1].hasPrefix("exc_") else { return nil }
        self.init(sortKey: nanos, id: String(parts[1]))
    }

    public var text: String { "\(sortKey)_\(id)" }

}
