/// The statements that move an item to a new id (`ExceptionLedger.rekey`), the same SQL on
/// SQLite and PostgreSQL, each store giving its own placeholders.
enum ExceptionRekey {
    /// Every column of `exception` but those `copy` sets itself.
    static let copied = [
        "class", "category", "severity", "status", "owner", "sla_nanos", "due_at_unix_nano", "summary", "service", "tool", "dedupe_key",
        "workflow_id", "occurrences", "opened_at_unix_nano", "first_action_at_unix_nano", "resolved_at_unix_nano", "blocking", "escalate_to",
        "decision", "decided_by", "decided_at_unix_nano", "breached_at_unix_nano", "frozen_workflow_key",
    ]

    /// Copies item `old` to `id` with the new trigger (`trace`, `span`), call id and update time;
    /// an item `id` merged away in the same workflow takes the copy over; a live one is left as it
    /// is (no row changes: the caller keeps the old id). Returns the id when it wrote.
    static func copy(id: String, trace: String, span: String, callID: String, now: String, old: String) -> String {
        let columns = copied.joined(separator: ", ")
        let set = (copied + ["trace_id", "span_id", "call_id", "updated_at_unix_nano", "merged_into"]).map { "\($0) = excluded.\($0)" }
        return """
            INSERT INTO exception (id, trace_id, span_id, call_id, updated_at_unix_nano, merged_into, \(columns))
            SELECT \(id), \(trace), \(span), \(callID), \(now), NULL, \(columns) FROM exception WHERE id = \(old)
            ON CONFLICT (id) DO UPDATE SET \(set.joined(separator: ", "))
                WHERE exception.status = 'merged' AND exception.workflow_id = excluded.workflow_id
            RETURNING id
            """
    }
}
