import Correlation
import Detection
import GRDB
import TraceModel

/// Stores detection facts inside the writer's transaction, through one prepared statement.
struct FactWriter {
    private let insert: PreparedStatement

    init(_ db: Database) throws {
        insert = try PreparedStatement(db, sql: """
            INSERT INTO detection_fact (trace_id, detector, key, span_id, start_time_unix_nano) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """)
    }

    /// Stores one fact; false when it was already stored.
    func store(_ span: SpanRows.SpanRow, _ detector: String, _ key: String) throws -> Bool {
        insert.bind(blob: span.traceID)
        insert.bind(text: detector)
        insert.bind(text: key)
        insert.bind(blob: span.spanID)
        insert.bind(span.startTimeUnixNano)
        return try insert.execute() > 0
    }

    /// The facts of counting patterns (`SpanRows.factGroups`) of the spans that were new: stored
    /// until the pattern is filed in the workflow, then only counted — but for one that started
    /// no later than the filed trigger (it may move the trigger once the workflow settles:
    /// `CountedPattern`). Returns what to count.
    func count(_ groups: [(rows: SpanRows, isNew: [Bool])], workflowOf: (TraceID) -> Int64?, cache: DetectionCache,
               _ db: Database) throws -> [(trace: TraceID, detector: String, key: String, count: Int)] {
        var counts: [(trace: TraceID, detector: String, key: String, count: Int)] = []
        for (rows, isNew) in groups {
            for group in rows.factGroups {
                let members = group.spans.filter { isNew[$0] }
                guard !members.isEmpty, let workflow = workflowOf(group.trace) else { continue }
                var count = members.count
                if let filed = try cache.filed(DedupeKey(detector: group.detector, key: group.key), workflow: workflow, db) {
                    for member in members where rows.spans[member].startTimeUnixNano <= filed.triggerStartUnixNano ?? .max {
                        _ = try store(rows.spans[member], group.detector, group.key)
                    }
                } else {
                    count = try members.reduce(0) { stored, member in try stored + (store(rows.spans[member], group.detector, group.key) ? 1 : 0) }
                }
                if count > 0 { counts.append((group.trace, group.detector, group.key, count)) }
            }
        }
        return counts
    }
}
