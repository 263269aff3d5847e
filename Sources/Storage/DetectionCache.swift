import Detection
import GRDB
import Synchronization

/// What the writer knows of fact counts, fact keys, the start times of counting patterns' first
/// facts and filed exceptions without asking SQLite, kept across transactions: a round asks
/// SQLite once per (workflow, pattern) until the answer changes, and the writer changes it
/// itself. Only writes inside the store's serialized transactions touch it. A workflow the
/// stitcher creates is known to have no facts, and a merge joins what is known of the workflows
/// it brings together (`stitched`; on the linked load, forgetting them instead sent 3,200
/// first-facts reads a run to SQLite, each over every trace of a merged workflow); retention
/// forgets the workflows it touches, a merge or a reviewer's action forgets what is filed
/// (statuses move), a rollback empties it, and it is emptied when it grows past `maxEntries`.
final class DetectionCache: Sendable {
    /// What is known of one workflow. A class: the round reads it several times a key, and a
    /// struct of five fields read out of `workflows` was copied (retained and released) each
    /// time (the profile's leading entries; the change measured within noise, 3 alternating pairs).
    private final class Known {
        var counts: [String: [String: Int]] = [:]
        var filed: [DedupeKey: FiledException?] = [:]
        /// Every pattern without an entry in `filed` has no exception (the workflow is new).
        var filedWhole = false
        /// Every key with facts in the workflow, by detector, once read whole (or the workflow
        /// was new: none).
        var keys: [String: Set<String>]?
        /// The start times of a counting pattern's first facts (`Detector.firstFactsRead`), in order.
        var firstStarts: [DedupeKey: [UInt64]] = [:]

        init() {}

        /// A workflow the stitcher just created: no facts, no exceptions.
        static func new() -> Known {
            let known = Known()
            known.keys = [:]
            known.filedWhole = true
            return known
        }

        /// The count of a key when known: kept, or none at all (the workflow's keys are known
        /// and it is not among them).
        func count(_ detector: String, _ key: String) -> Int? {
            if let count = counts[detector]?[key] { return count }
            if let keys, !keys[detector, default: []].contains(key) { return 0 }
            return nil
        }

        /// A pattern's first start times when known, as `count`.
        func firstStarts(_ pattern: DedupeKey) -> [UInt64]? {
            if let starts = firstStarts[pattern] { return starts }
            if let keys, !keys[pattern.detector, default: []].contains(pattern.key) { return [] }
            return nil
        }

        /// The pattern's exception when known (`.some(nil)`: known to have none).
        func filed(_ pattern: DedupeKey) -> FiledException?? {
            if let known = filed[pattern] { return known }
            return filedWhole ? .some(nil) : nil
        }

        /// What is known of this workflow once `other` merged into it: what both sides know
        /// (counts add up, keys join, the first starts are the first `n` of both); the filed
        /// exceptions are read again, since merging them changes which one stays.
        func merged(with other: Known, firstFactsRead: [String: Int]) -> Known {
            let result = Known()
            if let keys, let others = other.keys { result.keys = keys.merging(others) { $0.union($1) } }
            for detector in Set(counts.keys).union(other.counts.keys) {
                for key in Set(counts[detector, default: [:]].keys).union(other.counts[detector, default: [:]].keys) {
                    guard let mine = count(detector, key), let theirs = other.count(detector, key) else { continue }
                    result.counts[detector, default: [:]][key] = mine + theirs
                }
            }
            for pattern in Set(firstStarts.keys).union(other.firstStarts.keys) {
                guard let n = firstFactsRead[pattern.detector], let mine = firstStarts(pattern), let theirs = other.firstStarts(pattern) else { continue }
                result.firstStarts[pattern] = Array((mine + theirs).sorted().prefix(n))
            }
            return result
        }
    }

    private struct State {
        var workflows: [Int64: Known] = [:]
        /// Entries added since the cache was last emptied (forgetting does not count down).
        var added = 0

        /// What is known of the workflow, made (knowing nothing) when it has no entry yet. (A
        /// class's `workflows[id, default: Known()]` would hand out a default it never stores.)
        mutating func known(_ workflow: Int64) -> Known {
            if let known = workflows[workflow] { return known }
            let known = Known()
            workflows[workflow] = known
            added += 1
            return known
        }
    }

    static let maxEntries = 200_000
    private let state = Mutex(State())

    /// Called at the start of a write: empties the cache once it is over its bound.
    func trim() {
        state.withLock { if $0.added > Self.maxEntries { $0 = State() } }
    }

    func setCount(_ count: Int, for item: WorkflowKey) {
        state.withLock { state in
            if state.known(item.workflow).counts[item.detector, default: [:]].updateValue(count, forKey: item.key) == nil {
                state.added += 1
            }
        }
    }

    func count(_ item: WorkflowKey, _ db: Database) throws -> Int {
        if let count = cachedCount(item) { return count }
        let count = try FactQueries.count(db, workflow: item.workflow, detector: item.detector, key: item.key)
        setCount(count, for: item)
        return count
    }

    /// The keys `detector` has facts for in the workflow, in the order of their bytes (SQLite's).
    func keys(workflow: Int64, detector: String, _ db: Database) throws -> [String] {
        try knownKeys(workflow: workflow, db)[detector, default: []].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Whether `detector` has facts in the workflow.
    func hasKeys(workflow: Int64, detector: String, _ db: Database) throws -> Bool {
        try !knownKeys(workflow: workflow, db)[detector, default: []].isEmpty
    }

    /// Every key with facts in the workflow, by detector, read whole once.
    private func knownKeys(workflow: Int64, _ db: Database) throws -> [String: Set<String>] {
        if let known = state.withLock({ $0.workflows[workflow]?.keys }) { return known }
        var byDetector: [String: Set<String>] = [:]
        for (detector, key) in try FactQueries.keys(db, workflow: workflow) { byDetector[detector, default: []].insert(key) }
        state.withLock { state in
            state.known(workflow).keys = byDetector
            state.added += 1 + byDetector.values.reduce(0) { $0 + $1.count }
        }
        return byDetector
    }

    /// Every (detector, key) with facts in the workflow, when known, in the order of their bytes
    /// (SQLite's, as the query it stands for returns them).
    func allKeys(workflow: Int64) -> [(detector: String, key: String)]? {
        state.withLock { state in
            state.workflows[workflow]?.keys.map { keys in keys.flatMap { detector, keys in keys.map { (detector, $0) } } }
        }?.sorted { first, second in
            first.detector == second.detector
                ? first.key.utf8.lexicographicallyPrecedes(second.key.utf8) : first.detector.utf8.lexicographicallyPrecedes(second.detector.utf8)
        }
    }

    /// The count the cache holds for the key, when it knows it without reading SQLite.
    func cachedCount(_ item: WorkflowKey) -> Int? {
        state.withLock { $0.workflows[item.workflow]?.count(item.detector, item.key) }
    }

    /// `delta` more facts of the key in the workflow: its count moves when known, and the key is
    /// among the workflow's keys.
    func addCount(_ delta: Int, to item: WorkflowKey) {
        state.withLock { state in
            guard let known = state.workflows[item.workflow] else { return }
            if let count = known.count(item.detector, item.key) {
                if known.counts[item.detector, default: [:]].updateValue(count + delta, forKey: item.key) == nil { state.added += 1 }
            }
            if known.keys?[item.detector, default: []].insert(item.key).inserted == true { state.added += 1 }
        }
    }

    /// The stitcher's round: `created` workflows are new (no facts and no exceptions, so none of
    /// their counts, keys, first facts or filed exceptions need reading), and each merge (in the
    /// order made) joins what is known of the absorbed workflow with its survivor's, as the
    /// store's merge moves its facts. (A workflow created and merged away in the same round
    /// cannot be, components being disjoint; were it, what is known of it would be read again.)
    func stitched(created: [Int64], merges: [(absorbed: Int64, survivor: Int64)], firstFactsRead: [String: Int]) {
        guard !created.isEmpty || !merges.isEmpty else { return }
        state.withLock { state in
            let absorbed = Set(merges.map(\.absorbed))
            for workflow in created where !absorbed.contains(workflow) {
                state.workflows[workflow] = Known.new()
                state.added += 1
            }
            for merge in merges {
                let gone = state.workflows.removeValue(forKey: merge.absorbed) ?? Known()
                state.workflows[merge.survivor] = (state.workflows[merge.survivor] ?? Known()).merged(with: gone, firstFactsRead: firstFactsRead)
            }
        }
    }

    /// The start times of the first `n` facts of a key in the workflow, in order (fewer while it
    /// has fewer facts).
    func firstStarts(_ item: WorkflowKey, n: Int, _ db: Database) throws -> [UInt64] {
        let pattern = DedupeKey(detector: item.detector, key: item.key)
        if let known = state.withLock({ $0.workflows[item.workflow]?.firstStarts(pattern) }) { return known }
        let starts = try FactQueries.firstStarts(db, workflow: item.workflow, detector: item.detector, key: item.key, limit: n)
        setFirstStarts(starts, item)
        return starts
    }

    func setFirstStarts(_ starts: [UInt64], _ item: WorkflowKey) {
        state.withLock { state in
            let pattern = DedupeKey(detector: item.detector, key: item.key)
            if state.known(item.workflow).firstStarts.updateValue(starts, forKey: pattern) == nil { state.added += 1 }
        }
    }

    /// The active-or-closed (not merged) exception of the pattern in the workflow.
    func filed(_ dedupeKey: DedupeKey, workflow: Int64, _ db: Database) throws -> FiledException? {
        if let known = state.withLock({ $0.workflows[workflow]?.filed(dedupeKey) }) { return known }
        let found = try SQLiteExceptionLedger.filed(db, dedupeKey: dedupeKey, workflow: workflow)
        setFiled(found, dedupeKey, workflow: workflow)
        return found
    }

    func setFiled(_ value: FiledException?, _ dedupeKey: DedupeKey, workflow: Int64) {
        state.withLock { state in
            if state.known(workflow).filed.updateValue(value, forKey: dedupeKey) == nil { state.added += 1 }
        }
    }

    /// Drops what is known of these workflows (retention deleted their traces, or their facts).
    func forget(workflows: Set<Int64>) {
        guard !workflows.isEmpty else { return }
        state.withLock { state in
            for workflow in workflows { state.workflows[workflow] = nil }
        }
    }

    /// Drops what is known of filed exceptions (a reviewer changed one).
    func forgetFiled() {
        state.withLock { state in
            for known in state.workflows.values {
                known.filed = [:]
                known.filedWhole = false
            }
        }
    }

    /// Drops what is known of these workflows' filed exceptions (a merge moved them).
    func forgetFiled(workflows: Set<Int64>) {
        state.withLock { state in
            for workflow in workflows {
                state.workflows[workflow]?.filed = [:]
                state.workflows[workflow]?.filedWhole = false
            }
        }
    }

    /// Drops everything (the transaction that filled it rolled back).
    func clear() {
        state.withLock { $0 = State() }
    }
}
