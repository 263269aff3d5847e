import Correlation
import Detection
import Foundation
import GRDB
import Synchronization
import TraceModel

/// The SQLite database (WAL) behind Causeway: schema, the batch writes, and the queries.
public final class TraceStore: Sendable {
    private let pool: DatabasePool
    /// A connection of its own for WAL checkpoints, so they never hold up the writer.
    private let checkpointConnection: DatabaseQueue
    /// Ids of resources and scopes already in the database; only the writer touches it.
    private let ids = Mutex(IDCache())
    /// Workflow membership as the writer last left it.
    private let membership = MembershipCache()
    /// Fact counts, fact keys and filed exceptions as the writer last left them.
    let detectionCache = DetectionCache()
    /// Bumped after a commit that changed an exception (or a trace's workflow).
    public let queueChanges = QueueChanges()
    /// Set inside a transaction that changed the queue; the commit turns it into a bump.
    private let queueChanged = Atomic<Bool>(false)
    /// Some trace of a living workflow has aged out (`workflow_trace.aged_out`): a late span of it
    /// must bring it back. False until a sweep ages one, so the writer pays nothing before.
    let agedTracesExist = Atomic<Bool>(false)
    /// What it detects with.
    let detection: DetectionSetup
    var notifications: NotificationPlan { detection.notifications }

    /// The database file.
    public let path: String
    /// The patterns looked for in every new span.
    public var detectors: [any Detector] { detection.detectors }
    /// What the writer reads off each span.
    var plan: FactPlan { detection.plan }
    /// How failures are typed (for receipts).
    var failureTyping: FailureTyping { detection.failureTyping }
    /// Who owns what the detectors find.
    public var owners: OwnerRouting { detection.owners }
    /// How long a workflow must be quiet before settling patterns are judged.
    public var settleAfterNanos: UInt64 { detection.settleAfterNanos }

    /// Opens (and creates or migrates) the database at `path`.
    public convenience init(path: String, detection: DetectionConfiguration = .default, owners: OwnerRouting = .default,
                            correlationAttributes: [String] = [], notifications: NotificationPlan = .none) throws {
        try self.init(path: path, detection: DetectionSetup(detection: detection, owners: owners, correlationAttributes: correlationAttributes,
                                                            notifications: notifications))
    }

    /// Opens (and creates or migrates) the database at `path`, detecting as `detection` says.
    public init(path: String, detection: DetectionSetup) throws {
        self.path = path
        self.detection = detection
        var configuration = Configuration()
        // GRDB serializes this pool's writes; the one other writer is the checkpoint connection,
        // whose truncating checkpoint the writer must wait out rather than fail (503) on.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            db.add(function: QueueCounters.bucketFunction)
            // Acknowledged means durable: sync the WAL on every commit.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // The writer's indexes (spans, facts, workflow membership) are read back at random on
            // every batch; SQLite's 2 MiB default page cache sent most of those reads to pread.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Checkpoints run on their own connection (WALCheckpointer), not in whichever commit
            // crosses the threshold: a reviewer's approve must not pay for copying the spans' pages.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in
                // Retention frees pages as it goes; only a new file can take this (before its first table).
                if try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") == 0 {
                    try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                }
            }
            try Schema.migrator.migrate(pool)
            // The writer's multi-row statements inside a round (counts, repeats, workflow merges,
            // filing) each keep a statement journal, which SQLite spills to a file in /var/tmp
            // past 64 KiB: 30k pwrite calls on the bench's linked load. In memory
            // (the few pages one statement changed) detection's writer time fell 3–8% in three
            // alternating runs. Set after migrating (an index built on a large table sorts on
            // disk) and on the writer only: readers keep file-backed temp storage for their sorts.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA temp_store = MEMORY") }
            var checkpointing = Configuration()
            checkpointing.busyMode = .timeout(30)   // waits out a truncating checkpoint on the writer's connection
            checkpointing.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            checkpointConnection = try DatabaseQueue(path: path, configuration: checkpointing)
            let aged = try pool.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM workflow_trace WHERE aged_out = 1)") ?? false }
            agedTracesExist.store(aged, ordering: .relaxed)
        } catch let error as DatabaseError {
            throw StorageError("cannot open the database at \(path): \(error.message ?? error.description)")
        }
    }

    /// Stores the batches in one transaction, stitching new spans into their workflows, and
    /// returns how many spans were new. Spans already stored (same trace id and span id: an
    /// exporter's retry) are skipped whole.
    func recordSpans(_ batches: [SpanRows], receivedAt: UInt64) async throws -> Recorded {
        do {
            let recorded = try await insert(batches, receivedAt: receivedAt)
            publishQueueChange()
            return recorded
        } catch {
            publishQueueChange()
            // The transaction rolled back: cached ids of rows it created are void.
            ids.withLock { $0 = IDCache() }
            membership.clear()
            detectionCache.clear()
            throw error
        }
    }

    private func insert(_ batches: [SpanRows], receivedAt: UInt64) async throws -> Recorded {
        detectionCache.trim()
        return try await pool.write { db in
            let insertSpan = try PreparedStatement(db, sql: """
                INSERT INTO span (trace_id, span_id, parent_span_id, name, kind, start_time_unix_nano,
                    end_time_unix_nano, status_code, status_message, trace_state, flags, attributes,
                    dropped_attributes_count, events, dropped_events_count, dropped_links_count,
                    resource_id, scope_id, received_at_unix_nano)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (trace_id, span_id) DO NOTHING
                """)
            let insertLink = try PreparedStatement(db, sql: """
                INSERT INTO span_link (trace_id, span_id, link_index, linked_trace_id, linked_span_id,
                    trace_state, flags, attributes, dropped_attributes_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var inserted = 0
            var newSpansByTrace: [TraceID: Int] = [:]
            var links: [(from: TraceID, to: TraceID)] = []
            var facts: [(trace: TraceID, detector: String, key: String, count: Int)] = []
            var dropped: [(trace: TraceID, detector: String, key: String)] = []
            var counted: [(rows: SpanRows, isNew: [Bool])] = []
            let factWriter = try FactWriter(db)
            let failures = FailureFacts(db: db, detectors: self.plan.failureDetectors)
            for rows in batches {
                let resourceIDs = try rows.resources.map { try self.resourceID($0, db) }
                let scopeIDs = try rows.scopes.map { try self.scopeID($0, db) }
                var isNew = [Bool](repeating: false, count: rows.factGroups.isEmpty ? 0 : rows.spans.count)
                for (position, span) in rows.spans.enumerated() {
                    insertSpan.bind(blob: span.traceID)
                    insertSpan.bind(blob: span.spanID)
                    insertSpan.bind(blob: span.parentSpanID)
                    insertSpan.bind(text: span.name)
                    insertSpan.bind(span.kind)
                    insertSpan.bind(span.startTimeUnixNano)
                    insertSpan.bind(span.endTimeUnixNano)
                    insertSpan.bind(span.statusCode)
                    insertSpan.bind(text: span.statusMessage)
                    insertSpan.bind(text: span.traceState)
                    insertSpan.bind(span.flags)
                    insertSpan.bind(text: span.attributes)
                    insertSpan.bind(span.droppedAttributesCount)
                    insertSpan.bind(text: span.events)
                    insertSpan.bind(span.droppedEventsCount)
                    insertSpan.bind(span.droppedLinksCount)
                    insertSpan.bind(resourceIDs[span.resourceIndex])
                    insertSpan.bind(scopeIDs[span.scopeIndex])
                    insertSpan.bind(receivedAt)
                    guard try insertSpan.execute() > 0 else { continue }
                    if !isNew.isEmpty { isNew[position] = true }
                    inserted += 1
                    newSpansByTrace[span.trace, default: 0] += 1
                    if span.failedChild, let parent = span.parentSpanID {
                        dropped += try failures.markFailedChild(trace: span.trace, parent: parent)
                    }
                    let wrapper = try span.facts.contains { failures.detectors.contains($0.detector) } && failures.hasFailedChild(trace: span.traceID, span: span.spanID)
                    for fact in span.facts where !(wrapper && failures.detectors.contains(fact.detector)) {
                        if try factWriter.store(span, fact.detector, fact.key) {
                            facts.append((span.trace, fact.detector, fact.key, 1))
                        }
                    }
                    for correlation in span.correlations {
                        if let joined = try CorrelationValues.record(db, correlation, trace: span.trace), joined != span.trace {
                            links.append((span.trace, joined))
                        }
                    }
                    for (index, link) in span.links.enumerated() {
                        links.append((span.trace, link.trace))
                        insertLink.bind(blob: span.traceID)
                        insertLink.bind(blob: span.spanID)
                        insertLink.bind(index)
                        insertLink.bind(blob: link.traceID)
                        insertLink.bind(blob: link.spanID)
                        insertLink.bind(text: link.traceState)
                        insertLink.bind(link.flags)
                        insertLink.bind(text: link.attributes)
                        insertLink.bind(link.droppedAttributesCount)
                        try insertLink.execute()
                    }
                }
                if !rows.factGroups.isEmpty { counted.append((rows, isNew)) }
            }
            let clock = ContinuousClock()
            let started = clock.now
            var stitcher = WorkflowStitcher(membership: SQLiteWorkflowMembership(db: db, receivedAt: receivedAt, cache: self.membership))
            try stitcher.stitch(traces: newSpansByTrace.keys, links: links)
            var newSpansByWorkflow: [Int64: Int] = [:]
            for (trace, count) in newSpansByTrace {
                guard let workflow = stitcher.workflow(of: trace) else { continue }
                newSpansByWorkflow[workflow.id, default: 0] += count
            }
            for (workflow, count) in newSpansByWorkflow {
                try stitcher.membership.recordActivity(workflow: workflow, newSpans: count)
            }
            if self.agedTracesExist.load(ordering: .relaxed) {
                for trace in newSpansByTrace.keys {   // a late span of an aged-out trace: it is back
                    try db.cachedStatement(sql: "UPDATE workflow_trace SET aged_out = 0 WHERE trace_id = ? AND aged_out = 1")
                        .execute(arguments: [Data(trace.bytes)])
                }
            }
            let stitching = clock.now - started
            let detecting = clock.now
            self.detectionCache.stitched(created: stitcher.created, merges: stitcher.merges, firstFactsRead: self.plan.firstFactsRead)
            facts += try factWriter.count(counted, firstFactsRead: self.plan.firstFactsRead, workflowOf: { stitcher.workflow(of: $0)?.id }, cache: self.detectionCache, db)
            let opened = try self.detect(db, facts: facts, dropped: dropped, workflows: Set(newSpansByWorkflow.keys), stitcher: stitcher, now: receivedAt)
            return Recorded(inserted: inserted, stitching: stitching, detection: clock.now - detecting, opened: opened)
        }
    }

    private func resourceID(_ row: SpanRows.ResourceRow, _ db: Database) throws -> Int64 {
        if let id = ids.withLock({ $0.resource(row) }) { return id }
        // The no-op update makes RETURNING give the id of an existing row too.
        guard let id = try Int64.fetchOne(db, sql: """
            INSERT INTO resource (service_name, attributes, dropped_attributes_count, schema_url) VALUES (?, ?, ?, ?)
            ON CONFLICT (attributes, dropped_attributes_count, schema_url) DO UPDATE SET service_name = excluded.service_name
            RETURNING id
            """, arguments: [
                row.serviceName, String(decoding: row.attributes, as: UTF8.self), Int64(row.droppedAttributesCount), row.schemaURL,
            ]) else { throw StorageError("a resource could not be stored") }
        ids.withLock { $0.remember(row, id: id) }
        return id
    }

    private func scopeID(_ row: SpanRows.ScopeRow, _ db: Database) throws -> Int64 {
        if let id = ids.withLock({ $0.scope(row) }) { return id }
        guard let id = try Int64.fetchOne(db, sql: """
            INSERT INTO scope (name, version, attributes, dropped_attributes_count, schema_url) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (name, version, attributes, dropped_attributes_count, schema_url) DO UPDATE SET name = excluded.name
            RETURNING id
            """, arguments: [
                row.name, row.version, String(decoding: row.attributes, as: UTF8.self), Int64(row.droppedAttributesCount), row.schemaURL,
            ]) else { throw StorageError("a scope could not be stored") }
        ids.withLock { $0.remember(row, id: id) }
        return id
    }

    /// The spans of one trace, ordered by start time.
    public func spans(inTrace traceID: TraceID) async throws -> [StoredSpan] {
        try await pool.read { db in
            try SpanQueries.spans(db, where: "span.trace_id = ?", linksWhere: "span_link.trace_id = ?", arguments: [Data(traceID.bytes)])
        }
    }

    /// Runs `body` in a write transaction (reviewer actions; spans go through `recordSpans`).
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            let result = try await pool.write(body)
            publishQueueChange()
            return result
        } catch {
            publishQueueChange()
            // The transaction rolled back: what the detection cache learnt in it is void.
            detectionCache.clear()
            throw error
        }
    }

    /// WAL frames (pages) past which a checkpoint waits for the writer to bound the WAL: 256 MiB.
    static let walLimitFrames = 65_536

    /// Copies committed WAL frames into the database file without waiting for readers or the
    /// writer (a passive checkpoint, on its own connection). Under a steady load the writer
    /// appends faster than a passive checkpoint can catch up and the WAL never restarts (measured:
    /// 2.2 GB after two minutes at 20k spans/s), so past `walLimitFrames` it truncates instead,
    /// holding the writer for that one checkpoint. Returns the WAL's size and how much of it is
    /// now in the database, in frames. The truncating checkpoint runs on the writer's own
    /// connection, queued behind the transaction under way: from the checkpoint connection it had
    /// to win the write lock between two of the writer's back-to-back transactions, and under a
    /// steady load it seldom did (30 s busy timeouts; the WAL passed 1 GB in the 30-minute soak).
    public func checkpoint() async throws -> (walFrames: Int, checkpointedFrames: Int) {
        let passive = try await checkpointConnection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        guard passive.walFrameCount > Self.walLimitFrames else { return (passive.walFrameCount, passive.checkpointedFrameCount) }
        let truncated = try await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        return (truncated.walFrameCount, truncated.checkpointedFrameCount)
    }

    /// The transaction under way changed the queue (see `publishQueueChange`).
    func noteQueueChange() {
        queueChanged.store(true, ordering: .relaxed)
    }

    /// Forgets what the writer's caches know of these workflows and traces (retention deleted them).
    func forgetCachedWorkflows(_ workflows: [Int64], traces: [TraceID]) {
        guard !workflows.isEmpty else { return }
        membership.forget(traces: traces, workflows: workflows)
        detectionCache.forget(workflows: Set(workflows))
    }

    /// After a transaction ends: wakes the queue's waiters if it changed the queue.
    private func publishQueueChange() {
        if queueChanged.exchange(false, ordering: .acquiringAndReleasing) { queueChanges.bump() }
    }

    /// Runs `body` on a read-only snapshot of the database.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// How many spans the store holds.
    public func spanCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM span") ?? 0 }
    }
}

