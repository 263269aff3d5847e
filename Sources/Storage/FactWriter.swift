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

    /// The facts of counting patterns (`SpanRows.factGroups`) of the spans that were new: each
    /// is counted, and stored only while it may be among the first `n` of its key in the workflow
    /// (`Detector.firstFactsRead`), the ones a pattern's trigger is read from. Facts arrive in any
    /// order, so a later one can still start earlier; the writer keeps the first `n` start times
    /// (`DetectionCache.firstStarts`). Returns what to count.
    func count(_ groups: [(rows: SpanRows, isNew: [Bool])], firstFactsRead: [String: Int], workflowOf: (TraceID) -> Int64?,
               cache: DetectionCache, _ db: Database) throws -> [(trace: TraceID, detector: String, key: String, count: Int)] {
        var counts: [(trace: TraceID, detector: String, key: String, count: Int)] = []
        for (rows, isNew) in groups {
            for group in rows.factGroups {
                let members = group.spans.filter { isNew[$0] }
                guard !members.isEmpty, let workflow = workflowOf(group.trace), let n = firstFactsRead[group.detector] else { continue }
                let item = WorkflowKey(workflow: workflow, detector: group.detector, key: group.key)
                var first = try cache.firstStarts(item, n: n, db)
                var changed = false
                for member in members {
                    let span = rows.spans[member]
                    // Ties are stored: the order among equal starts is by trace and span id.
                    guard first.count < n || span.startTimeUnixNano <= first[n - 1] else { continue }
                    guard try store(span, group.detector, group.key) else { continue }
                    first.insert(span.startTimeUnixNano, at: first.firstIndex { $0 > span.startTimeUnixNano } ?? first.endIndex)
                    if first.count > n { first.removeLast() }
                    changed = true
                }
                if changed { cache.setFirstStarts(first, item) }
                counts.append((group.trace, group.detector, group.key, members.count))
            }
        }
        return counts
    }
}
