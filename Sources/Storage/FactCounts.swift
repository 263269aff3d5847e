import Detection
import GRDB
import TraceModel

/// The writer's fact counts per (workflow, detector, key) (`fact_count`), changed a whole round
/// at a time: one statement over a JSON array instead of one upsert per key — on the linked
/// workload those upserts, hundreds a round, were a fifth of detection's time.
enum FactCounts {
    /// Adds `deltas` to the counts (the writer's cache follows them: no totals are read back).
    static func add(_ deltas: [WorkflowKey: Int], _ db: Database) throws {
        let changes = deltas.filter { $0.value != 0 }
        guard !changes.isEmpty else { return }
        var json = JSONWriter(capacity: changes.count * 64)
        json.array(changes) { json, change in
            json.byte(UInt8(ascii: "["))
            json.number(change.key.workflow)
            json.byte(UInt8(ascii: ","))
            json.string(change.key.detector)
            json.byte(UInt8(ascii: ","))
            json.string(change.key.key)
            json.byte(UInt8(ascii: ","))
            json.number(change.value)
            json.byte(UInt8(ascii: "]"))
        }
        try db.cachedStatement(sql: """
            INSERT INTO fact_count (workflow_id, detector, key, count)
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) WHERE true
            ON CONFLICT (workflow_id, detector, key) DO UPDATE SET count = fact_count.count + excluded.count
            """).execute(arguments: [json.string])
    }
}
