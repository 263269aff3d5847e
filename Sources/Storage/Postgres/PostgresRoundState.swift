import Detection
import NIOCore
import PostgresNIO

/// What one writer round on PostgreSQL knows of its workflows' fact counts, keys and filed
/// exceptions, read a batch of workflows at a time (a round trip is what a query costs), and what
/// it holds back to write at once (repeats, settle windows). Never kept past its transaction:
/// other instances change the same rows between rounds. Used on the session thread only.
final class PostgresRoundState {
    private var loaded: Set<Int64> = []
    /// Fact counts by workflow, detector and key.
    private var counts: [Int64: [String: [String: Int]]] = [:]
    /// The exception filed for each pattern (the one opened first, merged ones left out).
    private var filed: [Int64: [DedupeKey: FiledException]] = [:]
    /// Repeats of active exceptions not yet written.
    let repeats = RepeatedOccurrences()
    /// Settle windows to end (nil) or (re)start, written at the end of the round.
    var settleWindows: [Int64: UInt64?] = [:]
    /// History lines not yet written: a round writes them together (`PostgresExceptionLedger.flush`).
    var history: [(id: String, actor: String, action: String, note: String, owner: String?)] = []
    /// The workflows that got new spans: read with the first batch.
    var active: Set<Int64> = []

    /// Reads what is not known yet of `workflows`: two queries for all of them.
    func load(_ workflows: some Collection<Int64>, _ session: PostgresSyncSession) throws {
        let missing = Array(Set(workflows).subtracting(loaded)).sorted()
        guard !missing.isEmpty else { return }
        loaded.formUnion(missing)
        for workflow in missing {
            counts[workflow] = [:]
            filed[workflow] = [:]
        }
        for row in try session.rows("""
            SELECT workflow_id, detector, key, count FROM fact_count WHERE workflow_id = ANY(\(missing)::int8[])
            """) {
            let (workflow, detector, key, count) = try row.decode((Int64, String, ByteBuffer, Int64).self)
            counts[workflow, default: [:]][detector, default: [:]][String(buffer: key)] = Int(count)
        }
        for row in try session.rows("""
            SELECT DISTINCT ON (exception.workflow_id, exception.dedupe_key) exception.workflow_id, exception.dedupe_key, exception.id,
                exception.status, exception.occurrences, exception.opened_at_unix_nano, span.start_time_unix_nano
            FROM exception LEFT JOIN span ON span.trace_id = exception.trace_id AND span.span_id = exception.span_id
            WHERE exception.workflow_id = ANY(\(missing)::int8[]) AND exception.status <> 'merged'
            ORDER BY exception.workflow_id, exception.dedupe_key, exception.opened_at_unix_nano, exception.id
            """) {
            let (workflow, key, id, status, occurrences, opened, triggerStart) = try row.decode((Int64, ByteBuffer, String, String, Int64, Int64, Int64?).self)
            guard let dedupeKey = DedupeKey(text: String(buffer: key)) else { continue }
            filed[workflow, default: [:]][dedupeKey] = FiledException(id: id, status: ExceptionStatus(rawValue: status) ?? .open,
                                                                     occurrences: Int(occurrences), openedAtUnixNano: opened,
                                                                     triggerStartUnixNano: triggerStart.map { UInt64(bitPattern: $0) })
        }
    }

    func count(_ item: WorkflowKey, _ session: PostgresSyncSession) throws -> Int {
        try load([item.workflow], session)
        return counts[item.workflow]?[item.detector]?[item.key] ?? 0
    }

    func setCount(_ count: Int, for item: WorkflowKey) {
        counts[item.workflow, default: [:]][item.detector, default: [:]][item.key] = count
    }

    /// The keys `detector` has facts for in the workflow, in key order.
    func keys(workflow: Int64, detector: String, _ session: PostgresSyncSession) throws -> [String] {
        try load([workflow], session)
        return counts[workflow]?[detector].map { $0.keys.sorted() } ?? []
    }

    /// Every (detector, key) with facts in the workflow, in the order of their bytes.
    func allKeys(workflow: Int64, _ session: PostgresSyncSession) throws -> [(detector: String, key: String)] {
        try load([workflow], session)
        let pairs = (counts[workflow] ?? [:]).flatMap { detector, keys in keys.keys.map { (detector: detector, key: $0) } }
        return pairs.sorted { first, second in
            first.detector == second.detector ? first.key.utf8.lexicographicallyPrecedes(second.key.utf8)
                : first.detector.utf8.lexicographicallyPrecedes(second.detector.utf8)
        }
    }

    func filed(_ dedupeKey: DedupeKey, workflow: Int64, _ session: PostgresSyncSession) throws -> FiledException? {
        try load([workflow], session)
        return filed[workflow]?[dedupeKey]
    }

    func setFiled(_ value: FiledException, _ dedupeKey: DedupeKey, workflow: Int64) {
        filed[workflow, default: [:]][dedupeKey] = value
    }

    /// Forgets these workflows (a merge moved their rows); the next question reads them again.
    func forget(_ workflows: [Int64]) {
        for workflow in workflows {
            loaded.remove(workflow)
            counts[workflow] = nil
            filed[workflow] = nil
        }
    }
}
