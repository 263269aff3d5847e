import Detection
import GRDB
import Synchronization

/// What the writer knows of fact counts, fact keys, the start times of counting patterns' first
/// facts and filed exceptions without asking SQLite, kept across transactions: a round asks
/// SQLite once per (workflow, pattern) until the answer changes, and the writer changes it
/// itself. Only writes inside the store's serialized transactions touch it; merges and
/// retention forget the workflows they touch, a reviewer's action forgets what is filed
/// (statuses move), a rollback empties it, and it is emptied when it grows past `maxEntries`.
final class DetectionCache: Sendable {
    /// What is known of one workflow.
    private struct Known {
        var counts: [String: [String: Int]] = [:]
        var filed: [DedupeKey: FiledException?] = [:]
        /// Every key with facts in the workflow, by detector, once read whole.
        var keys: [String: Set<String>]?
        /// The start times of a counting pattern's first facts (`Detector.firstFactsRead`), in order.
        var firstStarts: [DedupeKey: [UInt64]] = [:]
    }

    private struct State {
        var workflows: [Int64: Known] = [:]
        /// Entries added since the cache was last emptied (forgetting does not count down).
        var added = 0
    }

    static let maxEntries = 200_000
    private let state = Mutex(State())

    /// Called at the start of a write: empties the cache once it is over its bound.
    func trim() {
        state.withLock { if $0.added > Self.maxEntries { $0 = State() } }
    }

    func setCount(_ count: Int, for item: WorkflowKey) {
        state.withLock { state in
            if state.workflows[item.workflow, default: Known()].counts[item.detector, default: [:]].updateValue(count, forKey: item.key) == nil {
                state.added += 1
            }
        }
    }

    func count(_ item: WorkflowKey, _ db: Database) throws -> Int {
        if let count = state.withLock({ $0.workflows[item.workflow]?.counts[item.detector]?[item.key] }) { return count }
        let count = try FactQueries.count(db, workflow: item.workflow, detector: item.detector, key: item.key)
        setCount(count, for: item)
        return count
    }

    /// The keys `detector` has facts for in the workflow, in key order.
    func keys(workflow: Int64, detector: String, _ db: Database) throws -> [String] {
        if let known = state.withLock({ $0.workflows[workflow]?.keys }) { return known[detector, default: []].sorted() }
        var byDetector: [String: Set<String>] = [:]
        for (detector, key) in try FactQueries.keys(db, workflow: workflow) { byDetector[detector, default: []].insert(key) }
        state.withLock { state in
            state.workflows[workflow, default: Known()].keys = byDetector
            state.added += 1 + byDetector.values.reduce(0) { $0 + $1.count }
        }
        return byDetector[detector, default: []].sorted()
    }

    /// The workflow now has facts of `detector`/`key`.
    func noteKey(_ key: String, detector: String, workflow: Int64) {
        state.withLock { state in
            guard state.workflows[workflow]?.keys != nil else { return }
            if state.workflows[workflow]?.keys?[detector, default: []].insert(key).inserted == true { state.added += 1 }
        }
    }

    /// The start times of the first `n` facts of a key in the workflow, in order (fewer while it
    /// has fewer facts).
    func firstStarts(_ item: WorkflowKey, n: Int, _ db: Database) throws -> [UInt64] {
        let pattern = DedupeKey(detector: item.detector, key: item.key)
        if let known = state.withLock({ $0.workflows[item.workflow]?.firstStarts[pattern] }) { return known }
        let starts = try FactQueries.firstStarts(db, workflow: item.workflow, detector: item.detector, key: item.key, limit: n)
        setFirstStarts(starts, item)
        return starts
    }

    func setFirstStarts(_ starts: [UInt64], _ item: WorkflowKey) {
        state.withLock { state in
            let pattern = DedupeKey(detector: item.detector, key: item.key)
            if state.workflows[item.workflow, default: Known()].firstStarts.updateValue(starts, forKey: pattern) == nil { state.added += 1 }
        }
    }

    /// The active-or-closed (not merged) exception of the pattern in the workflow.
    func filed(_ dedupeKey: DedupeKey, workflow: Int64, _ db: Database) throws -> FiledException? {
        if let known = state.withLock({ $0.workflows[workflow]?.filed[dedupeKey] }) { return known }
        let found = try SQLiteExceptionLedger.filed(db, dedupeKey: dedupeKey, workflow: workflow)
        setFiled(found, dedupeKey, workflow: workflow)
        return found
    }

    func setFiled(_ value: FiledException?, _ dedupeKey: DedupeKey, workflow: Int64) {
        state.withLock { state in
            if state.workflows[workflow, default: Known()].filed.updateValue(value, forKey: dedupeKey) == nil { state.added += 1 }
        }
    }

    /// Drops what is known of these workflows (their counts, keys and exceptions moved in a merge).
    func forget(workflows: Set<Int64>) {
        guard !workflows.isEmpty else { return }
        state.withLock { state in
            for workflow in workflows { state.workflows[workflow] = nil }
        }
    }

    /// Drops what is known of filed exceptions (a reviewer changed one).
    func forgetFiled() {
        state.withLock { state in
            for workflow in Array(state.workflows.keys) { state.workflows[workflow]?.filed = [:] }
        }
    }

    /// Drops everything (the transaction that filled it rolled back).
    func clear() {
        state.withLock { $0 = State() }
    }
}
