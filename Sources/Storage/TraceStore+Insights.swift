import GRDB

extension TraceStore {
    /// The signatures (class, service, tool) that opened the most exceptions since `since`, most
    /// first; each shows the summary of its latest exception (SQLite's bare column beside `max`).
    public func recurringSignatures(since: UInt64, limit: Int) async throws -> [RecurringSignature] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT class, service, tool, summary, max(opened_at_unix_nano) AS latest, count(*) AS n, sum(occurrences) AS occurrences
                FROM exception WHERE opened_at_unix_nano >= ? AND status != 'merged'
                GROUP BY class, service, tool ORDER BY n DESC, occurrences DESC, latest DESC LIMIT ?
                """, arguments: [Int64(bitPattern: since), limit]).map { row in
                RecurringSignature(exceptionClass: row["class"], service: row["service"], tool: row["tool"], summary: row["summary"] ?? "", exceptions: row["n"], occurrences: row["occurrences"])
            }
        }
    }
}

extension TraceStore {
    /// The distinct classes and owners of the queue (merged items left out).
    public func exceptionFacets() async throws -> ExceptionFacets {
        try await read { db in
            ExceptionFacets(
                classes: try String.fetchAll(db, sql: "SELECT DISTINCT class FROM exception WHERE status != 'merged' ORDER BY class"),
                owners: try String.fetchAll(db, sql: "SELECT DISTINCT owner FROM exception WHERE status != 'merged' ORDER BY owner"))
        }
    }
}

extension TraceStore {
    /// Refreshes the planner's statistics of the queue (`ANALYZE exception`, sampled so it stays
    /// cheap at any size), so a filter on a common class or owner walks the urgency index instead
    /// of sorting the whole queue.
    public func analyzeQueue() async throws {
        try await write { db in
            try db.execute(sql: "PRAGMA analysis_limit = 1000; ANALYZE exception")
        }
    }
}
