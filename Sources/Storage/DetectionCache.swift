import Detection
import GRDB

/// What one write transaction has already read of fact counts and filed exceptions, so a round
/// asks SQLite once per (workflow, pattern) instead of once per question. Lives for one
/// transaction; merges forget the workflows they touch.
final class DetectionCache {
    /// The exception filed for a pattern in a workflow, as the recorder needs it.
    struct Filed {
        var id: String
        var status: ExceptionStatus
        var occurrences: Int
        var openedAtUnixNano: Int64
    }

    struct PatternKey: Hashable {
        var workflow: Int64
        var dedupeKey: String
    }

    private var counts: [DetectionRound.Item: Int] = [:]
    private var filed: [PatternKey: Filed?] = [:]

    func setCount(_ count: Int, for item: DetectionRound.Item) { counts[item] = count }

    func count(_ item: DetectionRound.Item, _ db: Database) throws -> Int {
        if let count = counts[item] { return count }
        let count = try FactQueries.count(db, workflow: item.workflow, detector: item.detector, key: item.key)
        counts[item] = count
        return count
    }

    /// The active-or-closed (not merged) exception of the pattern in the workflow.
    func filed(_ dedupeKey: String, workflow: Int64, _ db: Database) throws -> Filed? {
        let key = PatternKey(workflow: workflow, dedupeKey: dedupeKey)
        if let known = filed[key] { return known }
        let found = try ExceptionRecorder.filed(db, dedupeKey: dedupeKey, workflow: workflow)
        filed[key] = .some(found)
        return found
    }

    func setFiled(_ value: Filed?, _ dedupeKey: String, workflow: Int64) {
        filed[PatternKey(workflow: workflow, dedupeKey: dedupeKey)] = .some(value)
    }

    /// Drops what is known of these workflows (their counts and exceptions moved in a merge).
    func forget(workflows: Set<Int64>) {
        counts = counts.filter { !workflows.contains($0.key.workflow) }
        filed = filed.filter { !workflows.contains($0.key.workflow) }
    }
}
