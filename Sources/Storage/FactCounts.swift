import Detection
import GRDB
import TraceModel

/// The writer's fact counts per (workflow, detector, key) (`fact_count`), changed a whole round
/// at a time (`ValuesList`) instead of one upsert per key — on the linked workload those
/// upserts, hundreds a round, were a fifth of detection's time.
enum FactCounts {
    /// Adds `deltas` to the counts (the writer's cache follows them: no totals are read back).
    static func add(_ deltas: [WorkflowKey: Int], _ db: Database) throws {
        let changes = deltas.filter { $0.value != 0 }
        try ValuesList.execute(db, columns: 4, rows: changes, sql: { list in
            """
            INSERT INTO fact_count (workflow_id, detector, key, count) VALUES \(list)
            ON CONFLICT (workflow_id, detector, key) DO UPDATE SET count = fact_count.count + excluded.count
            """
        }, bind: { statement, change in
            statement.bind(change.key.workflow)
            statement.bind(text: change.key.detector)
            statement.bind(text: change.key.key)
            statement.bind(change.value)
        })
    }
}
