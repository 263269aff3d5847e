import Correlation
import Detection
import NIOCore
import PostgresNIO
import TraceModel

extension PostgresStore: ExceptionQueue {
    /// Runs `body` on the session thread inside a read-only transaction that sees one snapshot.
    func readingInSession<T: Sendable>(_ body: @escaping @Sendable (PostgresSyncSession) throws -> T) async throws -> T {
        try await reading { connection in
            try await PostgresSyncSession.run(on: connection, logger: self.logger, readOnly: true, body)
        }
    }

    public func exceptions(_ filter: ExceptionFilter, order: ExceptionOrder, limit: Int, after cursor: ExceptionCursor?,
                           now: UInt64) async throws -> (items: [ExceptionRecord], next: ExceptionCursor?) {
        var binds = PostgresBindings()
        var conditions = filter.postgres(now: now, &binds)
        let column = "exception." + order.column
        if let cursor {
            let key = Int64(bitPattern: cursor.sortKey)
            binds.append(key)
            binds.append(cursor.id)
            let (k, i) = (binds.count - 1, binds.count)
            conditions.append(order == .newest ? "(\(column), exception.id) < ($\(k), $\(i))" : "(\(column), exception.id) > ($\(k), $\(i))")
        }
        binds.append(Int64(limit + 1))
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let direction = order == .newest ? "DESC" : "ASC"
        let query = PostgresQuery(unsafeSQL: """
            \(ExceptionRecord.postgresSelection) \(clause) ORDER BY \(column) \(direction), exception.id \(direction) LIMIT $\(binds.count)
            """, binds: binds)
        let rows = try await reading { connection in
            try await connection.query(query, logger: self.logger).collect().map(ExceptionRecord.init(postgres:))
        }
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { ExceptionCursor(sortKey: order.sortKey(of: $0), id: $0.id) } : nil
        return (items, next)
    }

    public func exceptionCounts(_ filter: ExceptionFilter, now: UInt64) async throws -> [ExceptionStatus: Int] {
        var binds = PostgresBindings()
        let conditions = filter.postgres(now: now, byStatus: false, &binds)
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let query = PostgresQuery(unsafeSQL: "SELECT status, count(*) FROM exception \(clause) GROUP BY status", binds: binds)
        return try await reading { connection in
            var counts: [ExceptionStatus: Int] = [:]
            for try await (status, n) in try await connection.query(query, logger: self.logger).decode((String, Int64).self) {
                if let status = ExceptionStatus(rawValue: status), status != .merged { counts[status] = Int(n) }
            }
            return counts
        }
    }

    public func exceptions(inWorkflowOf trace: TraceID) async throws -> [ExceptionRecord] {
        try await readingInSession { session in
            try session.rows(PostgresQuery(unsafeSQL: ExceptionRecord.postgresSelection + """
                 WHERE exception.workflow_id = (SELECT workflow_id FROM workflow_trace WHERE trace_id = $1) AND exception.status <> 'merged'
                ORDER BY exception.opened_at_unix_nano, exception.id
                """, binds: Self.binds(ByteBuffer(bytes: trace.bytes)))).map(ExceptionRecord.init(postgres:))
        }
    }

    public func exception(id: String) async throws -> ExceptionDetail? {
        let typing = detection.failureTyping
        let plan = self.plan
        return try await readingInSession { session in
            guard let row = try session.rows(PostgresQuery(unsafeSQL: ExceptionRecord.postgresSelection + " WHERE exception.id = $1",
                                                           binds: Self.binds(id))).first else { return nil }
            let record = try ExceptionRecord(postgres: row)
            let history = try session.rows("""
                SELECT at_unix_nano, actor, action, note, owner FROM exception_history WHERE exception_id = \(id) ORDER BY id
                """).map { row in
                let (at, actor, action, note, owner) = try row.decode((Int64, ByteBuffer, String, ByteBuffer, ByteBuffer?).self)
                return ExceptionHistoryEntry(atUnixNano: UInt64(bitPattern: at), actor: String(buffer: actor), action: action,
                                             note: String(buffer: note), owner: owner.map { String(buffer: $0) })
            }
            // The story frozen into it when its spans aged out (PostgresStore+Retention), if any, and the live spans.
            return try ExceptionDetail(record: record, history: history, frozen: try Self.frozenEvidence(of: id, session),
                                       live: PostgresSpanLookup(session: session), liveCounted: try Self.countedAttempts(record, plan: plan, session),
                                       typing: typing) { trace in
                let queries = PostgresStore.spanQueries(where: "span.trace_id = $1", linksWhere: "span_link.trace_id = $1",
                                                        Self.binds(ByteBuffer(bytes: trace.bytes)))
                return try PostgresStore.spans(session.rows(queries.spans), links: session.rows(queries.links)).map(\.span)
            }
        }
    }

    public func apply(_ action: ExceptionAction, to id: String, actor: String, owner: String?, note: String, at now: UInt64,
                      mayAct: @escaping @Sendable (String) -> Bool) async throws {
        try await queueWrite(now: now) { ledger in
            let session = ledger.session
            guard let row = try session.rows(PostgresQuery(unsafeSQL: ExceptionRecord.postgresSelection + " WHERE exception.id = $1 FOR UPDATE OF exception",
                                                           binds: Self.binds(id))).first else {
                throw ExceptionActionError.notFound(id)
            }
            let record = try ExceptionRecord(postgres: row)
            let change = try ReviewerChange(action, on: record, owner: owner, at: now, mayAct: mayAct)
            let decision = action.isDecision ? "decision = \(Self.literal(action.rawValue)), decided_by = $2, decided_at_unix_nano = $3"
                : action == .reopen ? "decision = NULL, decided_by = NULL, decided_at_unix_nano = NULL"   // waits for a new decision
                : "decision = decision"
            var binds = PostgresBindings()
            binds.append(id)
            binds.append(ByteBuffer(string: actor))
            binds.append(ledger.stamp)
            binds.append(change.next.rawValue)
            binds.append(ByteBuffer(string: change.owner))
            binds.append(change.resolvedAt)
            try session.execute(PostgresQuery(unsafeSQL: """
                UPDATE exception SET status = $4, owner = $5, updated_at_unix_nano = $3,
                    first_action_at_unix_nano = coalesce(first_action_at_unix_nano, $3), resolved_at_unix_nano = $6, \(decision)
                WHERE id = $1
                """, binds: binds))
            if action == .approve, let tool = record.tool {
                // An approval for this call and every other call of the tool in the workflow.
                try session.execute("""
                    INSERT INTO reviewer_approval (workflow_id, tool, exception_id, call_id, approver, at_unix_nano)
                    VALUES (\(record.workflowID), \(ByteBuffer(string: tool)), \(id), \(record.callID.map(ByteBuffer.init(string:))),
                            \(ByteBuffer(string: actor)), \(ledger.stamp))
                    ON CONFLICT DO NOTHING
                    """)
            }
            try ledger.appendHistory(id, action: action.historyName, note: note, owner: change.owner == record.owner ? nil : change.owner, actor: actor)
        }
    }

    public func decisions(forTrace trace: TraceID) async throws -> WorkflowDecisions {
        try await readingInSession { session in
            guard let workflow = try session.rows("""
                SELECT workflow.id, workflow.key_trace_id FROM workflow_trace JOIN workflow ON workflow.id = workflow_trace.workflow_id
                WHERE workflow_trace.trace_id = \(ByteBuffer(bytes: trace.bytes))
                """).first.map({ try $0.decode((Int64, ByteBuffer).self) }), let key = TraceID(buffer: workflow.1) else {
                return WorkflowDecisions(workflowName: nil, blocking: [], decisions: [])
            }
            let blocking = try session.rows(PostgresQuery(unsafeSQL: ExceptionRecord.postgresSelection + """
                 WHERE exception.workflow_id = $1 AND exception.status IN ('open', 'acknowledged') AND exception.blocking
                    AND exception.decision IS NULL
                ORDER BY exception.opened_at_unix_nano, exception.id
                """, binds: Self.binds(workflow.0))).map { row in
                let record = try ExceptionRecord(postgres: row)
                return WorkflowDecisions.Blocking(id: record.id, exceptionClass: record.exceptionClass, status: record.status, tool: record.tool,
                                                  nextDecision: record.nextDecision)
            }
            let made = try session.rows("""
                SELECT exception_history.exception_id, exception_history.action, exception_history.actor, exception_history.at_unix_nano,
                    exception.tool, exception.call_id
                FROM exception JOIN exception_history ON exception_history.exception_id = exception.id
                WHERE exception.workflow_id = \(workflow.0) AND exception_history.action = ANY(\(ExceptionAction.decisionHistoryNames)::text[])
                ORDER BY exception_history.id
                """).compactMap { row -> WorkflowDecisions.Made? in
                let (id, action, actor, at, tool, callID) = try row.decode((String, String, ByteBuffer, Int64, ByteBuffer?, ByteBuffer?).self)
                guard let decision = ExceptionAction(historyName: action) else { return nil }
                return WorkflowDecisions.Made(exceptionID: id, decision: decision, by: String(buffer: actor), atUnixNano: UInt64(bitPattern: at),
                                              tool: tool.map { String(buffer: $0) }, callID: callID.map { String(buffer: $0) })
            }
            return WorkflowDecisions(workflowName: "wf_" + key.hex, blocking: blocking, decisions: made)
        }
    }

    /// The queue figures as of `now`, from the counters `PostgresQueueCounters` keeps: a few
    /// hundred rows and one indexed lookup per (class, owner), however long the queue.
    public func queueStatistics(now: UInt64) async throws -> QueueStatistics {
        let minutes = QueueStatistics.ageEdgeMinutes(now: now)
        return try await readingInSession { session in
            var groups: [QueueGroupKey: QueueGroupTally] = [:]
            func key(_ exceptionClass: String, _ owner: ByteBuffer) -> QueueGroupKey {
                QueueGroupKey(exceptionClass: exceptionClass, owner: String(buffer: owner))
            }
            for row in try session.rows("SELECT class, owner, status, breached, n FROM queue_count WHERE n > 0") {
                let (exceptionClass, owner, status, breached, n) = try row.decode((String, ByteBuffer, String, Bool, Int64).self)
                groups[key(exceptionClass, owner), default: QueueGroupTally()].count(status: ExceptionStatus(rawValue: status) ?? .open,
                                                                                      breached: breached, n: Int(n))
            }
            for row in try session.rows("SELECT class, owner, metric, bucket, n, total FROM queue_duration WHERE n > 0") {
                let (exceptionClass, owner, metric, bucket, n, total) = try row.decode((String, ByteBuffer, String, Int32, Int64, Double).self)
                groups[key(exceptionClass, owner), default: QueueGroupTally()].duration(metric: metric, bucket: Int(bucket), n: Int(n), total: total)
            }
            // Overdue items the breach timer has not marked yet (it marks within a second).
            for row in try session.rows("""
                SELECT class, owner, count(*) FROM exception
                WHERE status IN \(unescaped: PostgresQueueCounters.active) AND breached_at_unix_nano IS NULL
                  AND due_at_unix_nano < \(Int64(bitPattern: now))
                GROUP BY class, owner
                """) {
                let (exceptionClass, owner, n) = try row.decode((String, ByteBuffer, Int64).self)
                groups[key(exceptionClass, owner), default: QueueGroupTally()].breached += Int(n)
            }
            let active = groups.filter { $0.value.active > 0 }.map(\.key)
            for row in try session.rows("""
                SELECT g.class, g.owner, (SELECT min(opened_at_unix_nano) FROM exception
                                          WHERE status IN \(unescaped: PostgresQueueCounters.active) AND class = g.class AND owner = g.owner)
                FROM unnest(\(active.map(\.exceptionClass))::text[], \(active.map { ByteBuffer(string: $0.owner) })::bytea[]) AS g(class, owner)
                """) {
                let (exceptionClass, owner, oldest) = try row.decode((String, ByteBuffer, Int64?).self)
                groups[key(exceptionClass, owner)]?.oldestActiveOpened = oldest.map { UInt64(bitPattern: $0) }
            }
            var since: [Int64: Int] = [:]
            for row in try session.rows("""
                SELECT m, (SELECT coalesce(sum(n), 0)::int8 FROM queue_active_opened WHERE minute >= m) FROM unnest(\(minutes)::int8[]) AS m
                """) {
                let (minute, n) = try row.decode((Int64, Int64).self)
                since[minute] = Int(n)
            }
            let settling = try session.rows("SELECT count(*) FROM workflow_settle").first?.decode(Int64.self) ?? 0
            return QueueStatistics(groups: groups, settlingWorkflows: Int(settling), now: now) { since[$0] ?? 0 }
        }
    }

    public func exceptionFacets() async throws -> ExceptionFacets {
        try await readingInSession { session in
            ExceptionFacets(
                classes: try session.rows("SELECT DISTINCT class COLLATE \"C\" FROM exception WHERE status <> 'merged' ORDER BY 1").map { try $0.decode(String.self) },
                owners: try session.rows("SELECT DISTINCT owner FROM exception WHERE status <> 'merged' ORDER BY owner")
                    .map { String(buffer: try $0.decode(ByteBuffer.self)) })
        }
    }

    public func recurringSignatures(since: UInt64, limit: Int) async throws -> [RecurringSignature] {
        try await readingInSession { session in
            try session.rows("""
                SELECT class, service, tool, (array_agg(summary ORDER BY opened_at_unix_nano DESC, id DESC))[1], max(opened_at_unix_nano) AS latest,
                    count(*) AS n, sum(occurrences)::int8 AS occurrences
                FROM exception WHERE opened_at_unix_nano >= \(Int64(bitPattern: since)) AND status <> 'merged'
                GROUP BY class, service, tool ORDER BY n DESC, occurrences DESC, latest DESC LIMIT \(Int64(limit))
                """).map { row in
                let (exceptionClass, service, tool, summary, _, n, occurrences) =
                    try row.decode((String, ByteBuffer, ByteBuffer?, ByteBuffer?, Int64, Int64, Int64).self)
                return RecurringSignature(exceptionClass: exceptionClass, service: String(buffer: service), tool: tool.map { String(buffer: $0) },
                                          summary: summary.map { String(buffer: $0) } ?? "", exceptions: Int(n), occurrences: Int(occurrences))
            }
        }
    }

    public func notificationFigures() async throws -> [String: NotificationFigures] {
        try await readingInSession { session in
            var figures: [String: NotificationFigures] = [:]
            for row in try session.rows("SELECT target, delivered, failed_attempts, abandoned FROM notification_figures") {
                let (target, delivered, failed, abandoned) = try row.decode((String, Int64, Int64, Int64).self)
                var entry = NotificationFigures()
                entry.delivered = Int(delivered)
                entry.failedAttempts = Int(failed)
                entry.abandoned = Int(abandoned)
                figures[target] = entry
            }
            for row in try session.rows("SELECT target, count(*) FROM notification_outbox GROUP BY target") {
                let (target, pending) = try row.decode((String, Int64).self)
                figures[target, default: NotificationFigures()].pending = Int(pending)
            }
            return figures
        }
    }

    /// Bindings of one value (`$1`).
    static func binds(_ value: some PostgresDynamicTypeEncodable) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(value)
        return binds
    }

    /// A string as an SQL literal (only for the store's own words, never span data).
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

extension ExceptionFilter {
    /// The filter's conditions on `exception` for PostgreSQL, its values appended to `binds`.
    func postgres(now: UInt64, byStatus: Bool = true, _ binds: inout PostgresBindings) -> [String] {
        var conditions: [String] = []
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if !byStatus {
        } else if statuses.isEmpty {
            conditions.append("exception.status <> 'merged'")
        } else if statuses == [.open, .acknowledged] {
            conditions.append("exception.status IN ('open', 'acknowledged')")   // as the partial indexes say it
        } else {
            conditions.append("exception.status = ANY(\(bind(statuses.map(\.rawValue)))::text[])")
        }
        if let exceptionClass { conditions.append("exception.class = \(bind(exceptionClass))") }
        if let owner { conditions.append("exception.owner = \(bind(ByteBuffer(string: owner)))") }
        if let severity { conditions.append("exception.severity = \(bind(severity))") }
        if let breached {
            let past = """
                ((exception.status IN ('open', 'acknowledged') AND exception.due_at_unix_nano < \(bind(Int64(bitPattern: now))))
                 OR coalesce(exception.resolved_at_unix_nano > exception.due_at_unix_nano, false))
                """
            conditions.append(breached ? past : "NOT \(past)")
        }
        return conditions
    }
}
