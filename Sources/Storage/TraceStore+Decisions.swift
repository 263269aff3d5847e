import Detection
import Foundation
import GRDB
import TraceModel

extension TraceStore {
    /// What the agent of the workflow holding `trace` should do now.
    public func decisions(forTrace trace: TraceID) async throws -> WorkflowDecisions {
        try await read { db in
            guard let workflow = try SQLiteWorkflowMembership.workflow(containing: trace, db) else {
                return WorkflowDecisions(workflowName: nil, blocking: [], decisions: [])
            }
            let records = try Row.fetchAll(db, sql: ExceptionRecord.selection + """
                 WHERE exception.workflow_id = ? AND exception.status IN ('open','acknowledged') AND exception.blocking
                    AND exception.decision IS NULL
                ORDER BY exception.opened_at_unix_nano, exception.id
                """, arguments: [workflow.id]).map(ExceptionRecord.init(row:))
            let blocking = records.map {
                WorkflowDecisions.Blocking(id: $0.id, exceptionClass: $0.exceptionClass, status: $0.status, tool: $0.tool, nextDecision: $0.nextDecision)
            }
            let made = try Row.fetchAll(db, sql: """
                SELECT exception_history.exception_id, exception_history.action, exception_history.actor, exception_history.at_unix_nano,
                    exception.tool, exception.call_id
                FROM exception JOIN exception_history ON exception_history.exception_id = exception.id
                WHERE exception.workflow_id = ? AND exception_history.action IN (SELECT value FROM json_each(?))
                ORDER BY exception_history.id
                """, arguments: [workflow.id, Self.decisionNamesJSON]).compactMap { row -> WorkflowDecisions.Made? in
                guard let action = ExceptionAction(historyName: row["action"]) else { return nil }
                return WorkflowDecisions.Made(exceptionID: row["exception_id"], decision: action, by: row["actor"],
                                              atUnixNano: UInt64(bitPattern: row["at_unix_nano"]), tool: row["tool"], callID: row["call_id"])
            }
            return WorkflowDecisions(workflowName: "wf_" + workflow.key.hex, blocking: blocking, decisions: made)
        }
    }

    /// The history words of decisions, as a JSON array for `json_each`.
    static let decisionNamesJSON = "[" + ExceptionAction.decisionHistoryNames.map { "\"\($0)\"" }.joined(separator: ",") + "]"

    /// Marks every active exception whose due time has passed by `now` breached (history
    /// `breached`, a notification) and hands it to its owner rule's `escalate_to` (history
    /// `escalated`). Returns the breached ids and the next due time (nil: none pending).
    public func breachOverdue(now: UInt64) async throws -> (breached: [String], nextDue: UInt64?) {
        try await write { db in
            let due = try Row.fetchAll(db, sql: """
                SELECT id, owner, escalate_to, due_at_unix_nano FROM exception INDEXED BY exception_unbreached_by_due
                WHERE status IN ('open','acknowledged') AND breached_at_unix_nano IS NULL AND due_at_unix_nano <= ?
                ORDER BY due_at_unix_nano, id
                """, arguments: [Int64(bitPattern: now)])
            let recorder = SQLiteExceptionLedger(db: db, store: self, now: now)
            var breached: [String] = []
            for row in due {
                let id: String = row["id"]
                let owner: String = row["owner"]
                let dueAt = UInt64(bitPattern: row["due_at_unix_nano"])
                try db.execute(sql: "UPDATE exception SET breached_at_unix_nano = ?, updated_at_unix_nano = ? WHERE id = ?",
                               arguments: [Int64(bitPattern: now), Int64(bitPattern: now), id])
                try recorder.appendHistory(id, action: "breached", note: "past its due time \(RFC3339.format(unixNano: dueAt)), still with \(owner)", owner: nil)
                if let target: String = row["escalate_to"], target != owner {
                    try db.execute(sql: "UPDATE exception SET owner = ? WHERE id = ?", arguments: [target, id])
                    try recorder.appendHistory(id, action: "escalated", note: "escalated from \(owner) to \(target): its SLA passed", owner: target)
                }
                breached.append(id)
            }
            let next = try Int64.fetchOne(db, sql: """
                SELECT min(due_at_unix_nano) FROM exception INDEXED BY exception_unbreached_by_due
                WHERE status IN ('open','acknowledged') AND breached_at_unix_nano IS NULL
                """).map { UInt64(bitPattern: $0) }
            return (breached, next)
        }
    }
}
