import Correlation
import Detection
import NIOCore
import PostgresNIO
import TraceModel

/// A round's detection facts: each (trace, detector, key) newly stored and how many, and the
/// failure facts taken back (a wrapper's, once its child's failure is known).
struct PostgresFacts: Sendable {
    var stored: [(trace: TraceID, detector: String, key: String, count: Int)] = []
    var dropped: [(trace: TraceID, detector: String, key: String)] = []

    /// The new spans of one trace that count towards one key of a counting pattern, placed in
    /// the workflow the stitcher put their trace in.
    struct Group {
        var workflow: Int64
        var trace: TraceID
        var detector: String
        var key: String
        var spans: [SpanRows.SpanRow]
    }
}

extension PostgresStore: QueueMaintenance {
    /// Stores the facts of the round's new spans in a few statements (the caller holds the
    /// stitching lock, so no other instance marks or stores facts of the same spans meanwhile):
    /// failed children first mark their parents, whose failure facts already stored are taken
    /// back; then every fact but a wrapper's failure facts is stored (counting patterns' facts:
    /// `storeCountedFacts`).
    func storeFacts(of spans: [SpanRows.SpanRow], _ connection: PostgresConnection, _ logger: Logger) async throws -> PostgresFacts {
        var found = PostgresFacts()
        let failures = detection.plan.failureDetectors
        var wrappers: Set<SpanReference> = []
        if !failures.isEmpty {
            let marks = spans.filter(\.failedChild).compactMap { span in span.parentSpanID.map { (trace: span.traceID, span: $0) } }
                .sorted { ($0.trace + $0.span).lexicographicallyPrecedes($1.trace + $1.span) }
            if !marks.isEmpty {
                let rows = try await connection.query("""
                    WITH marked AS (
                        INSERT INTO failed_child (trace_id, span_id)
                        SELECT * FROM unnest(\(marks.map { ByteBuffer(bytes: $0.trace) })::bytea[], \(marks.map { ByteBuffer(bytes: $0.span) })::bytea[])
                        ON CONFLICT DO NOTHING RETURNING trace_id, span_id)
                    DELETE FROM detection_fact USING marked
                    WHERE detection_fact.trace_id = marked.trace_id AND detection_fact.span_id = marked.span_id
                        AND detection_fact.detector = ANY(\(failures.sorted())::text[])
                    RETURNING detection_fact.trace_id, detection_fact.detector, detection_fact.key
                    """, logger: logger)
                for try await (trace, detector, key) in rows.decode((ByteBuffer, String, ByteBuffer).self) {
                    guard let trace = TraceID(buffer: trace) else { throw StorageError("a stored fact has a malformed trace id") }
                    found.dropped.append((trace, detector, String(buffer: key)))
                }
            }
            let candidates = spans.filter { span in span.facts.contains { failures.contains($0.detector) } }
            if !candidates.isEmpty {
                let rows = try await connection.query("""
                    SELECT failed_child.trace_id, failed_child.span_id FROM failed_child
                    JOIN unnest(\(candidates.map { ByteBuffer(bytes: $0.traceID) })::bytea[], \(candidates.map { ByteBuffer(bytes: $0.spanID) })::bytea[])
                        AS c(trace_id, span_id) ON failed_child.trace_id = c.trace_id AND failed_child.span_id = c.span_id
                    """, logger: logger)
                for try await (trace, span) in rows.decode((ByteBuffer, ByteBuffer).self) {
                    if let trace = TraceID(buffer: trace), let span = SpanID(buffer: span) { wrappers.insert(SpanReference(traceID: trace, spanID: span)) }
                }
            }
        }
        var facts: [(span: SpanRows.SpanRow, detector: String, key: String)] = []
        for span in spans {
            let wrapper = wrappers.contains(span.reference)
            for fact in span.facts where !(wrapper && failures.contains(fact.detector)) { facts.append((span, fact.detector, fact.key)) }
        }
        found.stored = try await insertFacts(facts, connection, logger)
        return found
    }

    /// The facts of counting patterns (`FactPlan.firstFactsRead`), once their traces are
    /// stitched: stored until the pattern is filed in the workflow, then only those that started no
    /// later than its trigger, the rest only counted. (SQLite stores fewer, only those that may be
    /// among the first `n`. Both keep the first `n`, which give the trigger and the receipts —
    /// `countedAttempts` reads no more — though after retention took some of them away the two
    /// may read the trigger from different facts.)
    func storeCountedFacts(_ groups: [PostgresFacts.Group], into found: inout PostgresFacts,
                           _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard !groups.isEmpty else { return }
        // The filed pattern's trigger start, per key (not known: every fact is stored).
        var filed: [WorkflowKey: UInt64] = [:]
        let rows = try await connection.query("""
            SELECT DISTINCT ON (exception.workflow_id, exception.dedupe_key) exception.workflow_id, exception.dedupe_key, span.start_time_unix_nano
            FROM exception
            JOIN unnest(\(groups.map(\.workflow))::int8[], \(groups.map { ByteBuffer(string: DedupeKey(detector: $0.detector, key: $0.key).text) })::bytea[])
                AS g(workflow_id, dedupe_key) ON exception.workflow_id = g.workflow_id AND exception.dedupe_key = g.dedupe_key
            LEFT JOIN span ON span.trace_id = exception.trace_id AND span.span_id = exception.span_id
            WHERE exception.status <> 'merged'
            ORDER BY exception.workflow_id, exception.dedupe_key, exception.opened_at_unix_nano, exception.id
            """, logger: logger)
        for try await (workflow, key, start) in rows.decode((Int64, ByteBuffer, Int64?).self) {
            guard let dedupeKey = DedupeKey(text: String(buffer: key)) else { continue }
            filed[WorkflowKey(workflow: workflow, detector: dedupeKey.detector, key: dedupeKey.key)] = start.map { UInt64(bitPattern: $0) } ?? .max
        }
        var facts: [(span: SpanRows.SpanRow, detector: String, key: String)] = []
        var earlier: [(span: SpanRows.SpanRow, detector: String, key: String)] = []
        for group in groups {
            if let triggerStart = filed[WorkflowKey(workflow: group.workflow, detector: group.detector, key: group.key)] {
                // Filed: counted, and stored only if it started no later than the trigger (it may move it).
                found.stored.append((group.trace, group.detector, group.key, Set(group.spans.map(\.reference)).count))
                earlier += group.spans.filter { $0.startTimeUnixNano <= triggerStart }.map { ($0, group.detector, group.key) }
            } else {
                facts += group.spans.map { ($0, group.detector, group.key) }
            }
        }
        found.stored += try await insertFacts(facts, connection, logger)
        _ = try await insertFacts(earlier, connection, logger)   // counted above
    }

    /// Stores `facts` in one statement, locking rows in data order; returns how many of each
    /// (trace, detector, key) were new.
    func insertFacts(_ facts: [(span: SpanRows.SpanRow, detector: String, key: String)], _ connection: PostgresConnection,
                     _ logger: Logger) async throws -> [(trace: TraceID, detector: String, key: String, count: Int)] {
        guard !facts.isEmpty else { return [] }
        var facts = facts
        facts.sort { first, second in   // the order rows are locked in: the same on every instance
            if first.span.traceID != second.span.traceID { return first.span.traceID.lexicographicallyPrecedes(second.span.traceID) }
            if first.detector != second.detector { return first.detector.utf8.lexicographicallyPrecedes(second.detector.utf8) }
            if first.key != second.key { return first.key.utf8.lexicographicallyPrecedes(second.key.utf8) }
            return first.span.spanID.lexicographicallyPrecedes(second.span.spanID)
        }
        let rows = try await connection.query("""
            INSERT INTO detection_fact (trace_id, detector, key, span_id, start_time_unix_nano)
            SELECT * FROM unnest(\(facts.map { ByteBuffer(bytes: $0.span.traceID) })::bytea[], \(facts.map(\.detector))::text[],
                                 \(facts.map { ByteBuffer(string: $0.key) })::bytea[], \(facts.map { ByteBuffer(bytes: $0.span.spanID) })::bytea[],
                                 \(facts.map { Int64(bitPattern: $0.span.startTimeUnixNano) })::int8[])
            ON CONFLICT DO NOTHING
            RETURNING trace_id, detector, key
            """, logger: logger)
        var counts: [WorkflowFactKey: Int] = [:]
        var order: [WorkflowFactKey] = []
        for try await (trace, detector, key) in rows.decode((ByteBuffer, String, ByteBuffer).self) {
            guard let trace = TraceID(buffer: trace) else { throw StorageError("a stored fact has a malformed trace id") }
            let item = WorkflowFactKey(trace: trace, detector: detector, key: String(buffer: key))
            if counts[item] == nil { order.append(item) }
            counts[item, default: 0] += 1
        }
        return order.map { ($0.trace, $0.detector, $0.key, counts[$0] ?? 0) }
    }

    /// A fact's trace, detector and key.
    struct WorkflowFactKey: Hashable {
        var trace: TraceID
        var detector: String
        var key: String
    }

    /// The round's detection (`DetectionPass`) on the session thread, inside the round's
    /// transaction: the facts placed in the workflows the stitcher put their traces in.
    func detect(_ found: PostgresFacts, stitched: (stitcher: WorkflowStitcher<PostgresMembershipSnapshot>, active: Set<Int64>), now: UInt64,
                _ connection: PostgresConnection) async throws -> [String] {
        let stitcher = stitched.stitcher
        let merges = stitcher.merges
        guard !merges.isEmpty || !detection.detectors.isEmpty else { return [] }
        let placed = found.stored.compactMap { fact in
            stitcher.workflow(of: fact.trace).map { (key: WorkflowKey(workflow: $0.id, detector: fact.detector, key: fact.key), count: fact.count) }
        }
        let placedDrops = found.dropped.compactMap { fact in
            stitcher.workflow(of: fact.trace).map { WorkflowKey(workflow: $0.id, detector: fact.detector, key: fact.key) }
        }
        let active = stitched.active
        return try await inSession(connection, now: now) { ledger in
            ledger.state.active = active
            let opened = try self.detection.pass(ledger).run(merges: merges, facts: placed, dropped: placedDrops, workflows: active, now: now)
            try ledger.finishRound()
            return opened
        }
    }

    /// Runs `body` with a ledger on the session thread inside the transaction open on
    /// `connection`; tells every instance if it changed the queue (at commit).
    func inSession<T: Sendable>(_ connection: PostgresConnection, now: UInt64,
                                _ body: @escaping @Sendable (PostgresExceptionLedger) throws -> T) async throws -> T {
        let changed = PostgresQueueChange()
        let setup = detection
        let result = try await PostgresSyncSession.run(on: connection, logger: logger) { session in
            let ledger = PostgresExceptionLedger(session: session, setup: setup, now: now, state: PostgresRoundState(), changed: changed)
            let result = try body(ledger)
            try ledger.flush()   // the history lines and repeats it still holds
            return result
        }
        if changed.changed {
            try await connection.query(PostgresQuery(unsafeSQL: "NOTIFY \(PostgresQueueChange.channel)"), logger: logger)
            queueChanged.store(true, ordering: .relaxed)
        }
        return result
    }

    /// Runs `body` in a transaction of its own that holds the stitching lock (a reviewer's action,
    /// a timer), with a ledger on the session thread; a deadlock or serialization failure runs
    /// it again. Waiters hear of the change after the commit.
    func queueWrite<T: Sendable>(now: UInt64, _ body: @escaping @Sendable (PostgresExceptionLedger) throws -> T) async throws -> T {
        defer { publishQueueChange() }
        return try await PostgresFailure.retrying {
            try await transaction { connection in
                try await Self.lockStitching(connection, self.logger)
                return try await self.inSession(connection, now: now, body)
            }
        }
    }

    /// Workflows one settle transaction judges at most (as on SQLite).
    static let settleBatch = TraceStore.settleBatch

    /// The earliest due time `query` (a `min(…)`) reads, without the lock; nil when none.
    func earliestDue(_ query: PostgresQuery) async throws -> UInt64? {
        try await reading { connection in
            for try await due in try await connection.query(query, logger: self.logger).decode(Int64?.self) { return due.map { UInt64(bitPattern: $0) } }
            return nil
        }
    }

    static let earliestSettle: PostgresQuery = "SELECT min(due_at_unix_nano) FROM workflow_settle"
    static let earliestBreach: PostgresQuery = """
        SELECT min(due_at_unix_nano) FROM exception WHERE status IN ('open', 'acknowledged') AND breached_at_unix_nano IS NULL
        """

    public func settle(now: UInt64) async throws -> (opened: [String], nextDue: UInt64?) {
        // Nothing due: no lock taken (every instance's timer asks every second).
        let earliest = try await earliestDue(Self.earliestSettle)
        guard let due = earliest, due <= now else { return ([], earliest) }
        return try await queueWrite(now: now) { ledger in
            let due = try ledger.session.rows("""
                SELECT workflow_id FROM workflow_settle WHERE due_at_unix_nano <= \(Int64(bitPattern: now))
                ORDER BY due_at_unix_nano, workflow_id LIMIT \(Int64(Self.settleBatch))
                """).map { try $0.decode(Int64.self) }
            let opened = try self.detection.pass(ledger).settle(due)
            try ledger.finishRound()
            if due.count == Self.settleBatch { return (opened, now) }
            let next = try ledger.session.rows(Self.earliestSettle).first?.decode(Int64?.self)
            return (opened, next.map { UInt64(bitPattern: $0) })
        }
    }

    public func breachOverdue(now: UInt64) async throws -> (breached: [String], nextDue: UInt64?) {
        let earliest = try await earliestDue(Self.earliestBreach)
        guard let due = earliest, due <= now else { return ([], earliest) }   // nothing due: no lock taken
        return try await queueWrite(now: now) { ledger in
            let session = ledger.session
            var breached: [String] = []
            for row in try session.rows("""
                SELECT id, owner, escalate_to, due_at_unix_nano FROM exception
                WHERE status IN ('open', 'acknowledged') AND breached_at_unix_nano IS NULL AND due_at_unix_nano <= \(Int64(bitPattern: now))
                ORDER BY due_at_unix_nano, id
                """) {
                let (id, ownerBytes, escalateBytes, dueAt) = try row.decode((String, ByteBuffer, ByteBuffer?, Int64).self)
                let owner = String(buffer: ownerBytes)
                try session.execute("""
                    UPDATE exception SET breached_at_unix_nano = \(ledger.stamp), updated_at_unix_nano = \(ledger.stamp) WHERE id = \(id)
                    """)
                try ledger.appendHistory(id, action: "breached",
                                         note: "past its due time \(RFC3339.format(unixNano: UInt64(bitPattern: dueAt))), still with \(owner)", owner: nil)
                if let target = escalateBytes.map({ String(buffer: $0) }), target != owner {
                    try session.execute("UPDATE exception SET owner = \(ByteBuffer(string: target)) WHERE id = \(id)")
                    try ledger.appendHistory(id, action: "escalated", note: "escalated from \(owner) to \(target): its SLA passed", owner: target)
                }
                breached.append(id)
            }
            let next = try session.rows(Self.earliestBreach).first?.decode(Int64?.self)
            return (breached, next.map { UInt64(bitPattern: $0) })
        }
    }

    public func analyzeQueue() async throws {
        do {
            try await client.query("ANALYZE exception", logger: logger)
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }
}
