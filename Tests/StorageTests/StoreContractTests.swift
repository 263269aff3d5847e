import Correlation
import Detection
import Foundation
import Logging
import Storage
import Testing
import TestSupport
import TraceModel

/// What every store must do, asked only through the seams the writer, the timers, the API and the
/// notifier use (`ExceptionQueue`, `WorkflowReader`, `QueueMaintenance`, `NotificationOutbox`).
/// Each test runs once per store: SQLite, and PostgreSQL when `Tests/Postgres/run.sh` gives a server.
@Suite("The store contract")
struct StoreContractTests {
    typealias Store = ExceptionQueue & WorkflowReader & QueueMaintenance & NotificationOutbox & RetentionStore

    enum StoreKind: String, CaseIterable, CustomStringConvertible {
        case sqlite, postgres

        var description: String { rawValue }

        /// The kinds with a recorder and a workflow reader to test here: PostgreSQL only when a
        /// test server is given.
        static var recording: [StoreKind] { PostgresTestDatabase.serverURL == nil ? [.sqlite] : [.sqlite, .postgres] }
        /// The kinds with the whole queue (`Store`).
        static var queueing: [StoreKind] { recording }

        /// A fresh, empty store's writer and workflow reader, a way to open the same data again
        /// (a restart), and what to call when done.
        func makeRecording(correlationAttributes: [String] = [])
            async throws -> (reader: any WorkflowReader, writer: SpanWriter, reopen: () async throws -> (any WorkflowReader, SpanWriter), close: () -> Void) {
            let (store, writer, reopen, close) = try await make(correlationAttributes: correlationAttributes)
            return (store, writer, { let again = try await reopen(); return (again.store, again.writer) }, close)
        }

        /// A fresh, empty store and its writer, a way to open the same data again (a restart),
        /// and what to call when done.
        func make(correlationAttributes: [String] = [], notifications: NotificationPlan = .none, detection: DetectionConfiguration = .default,
                  owners: OwnerRouting = .default) async throws
            -> (store: any Store, writer: SpanWriter, reopen: () async throws -> (store: any Store, writer: SpanWriter), close: () -> Void) {
            switch self {
            case .sqlite:
                let store = try TraceStore(path: temporaryDatabasePath(), detection: detection, owners: owners,
                                           correlationAttributes: correlationAttributes, notifications: notifications)
                let reopen = { () throws -> (store: any Store, writer: SpanWriter) in
                    let again = try TraceStore(path: store.path, detection: detection, owners: owners,
                                               correlationAttributes: correlationAttributes, notifications: notifications)
                    return (again, SpanWriter(store: again, logger: Logger(label: "contract")))
                }
                return (store, SpanWriter(store: store, logger: Logger(label: "contract")), reopen, {})
            case .postgres:
                let database = try await PostgresTestDatabase.create()
                let (store, running) = try await database.open(correlationAttributes: correlationAttributes, detection: detection,
                                                               owners: owners, notifications: notifications)
                let opened = OpenedStores(running)
                let reopen = { () async throws -> (store: any Store, writer: SpanWriter) in
                    let (again, running) = try await database.open(correlationAttributes: correlationAttributes, detection: detection,
                                                                   owners: owners, notifications: notifications)
                    opened.add(running)
                    return (again, SpanWriter(store: again, logger: Logger(label: "contract")))
                }
                return (store, SpanWriter(store: store, logger: Logger(label: "contract")), reopen, { opened.cancel() })
            }
        }
    }

    /// The pools of the PostgreSQL stores a test opened, stopped when it is done.
    final class OpenedStores: @unchecked Sendable {
        private var running: [Task<Void, Never>]

        init(_ first: Task<Void, Never>) { running = [first] }

        func add(_ task: Task<Void, Never>) { running.append(task) }

        func cancel() { running.forEach { $0.cancel() } }
    }

    static let t0: UInt64 = 1_700_000_000_000_000_000

    /// Writes `batches` through a running writer, then stops it (every write committed).
    static func write(_ batches: [TraceBatch], with writer: SpanWriter) async throws {
        let running = Task { try await writer.run() }
        for batch in batches { try await writer.write(batch) }
        writer.finish()
        try await running.value
    }

    static func staleRead(_ trace: UInt64, _ span: UInt64) -> Span {
        Span.stub(trace: .stub(trace), span: .stub(span), parent: span == 1 ? nil : .stub(1), start: t0 + span,
                  attributes: [Attribute("connector.name", .string("vendor-master")), Attribute("connector.data.age_ms", .int(7_200_000))])
    }

    @Test("linked traces in any arrival order make one workflow with the same causal path", arguments: StoreKind.recording)
    func stitching(kind: StoreKind) async throws {
        for order in WorkflowFixture.ArrivalOrder.allCases {
            let (store, writer, _, close) = try await kind.makeRecording()
            defer { close() }
            try await Self.write(WorkflowFixture.requests(in: order), with: writer)
            let workflow = try #require(try await store.workflow(containing: WorkflowFixture.batch), "\(order)")
            #expect(Set(workflow.traceIDs) == [WorkflowFixture.request, WorkflowFixture.worker, WorkflowFixture.retry, WorkflowFixture.batch])
            #expect(workflow.spans.count == WorkflowFixture.spans.count)
            let target = SpanReference(traceID: WorkflowFixture.retry, spanID: .stub(0x32))
            let path = try #require(try await store.causalPath(to: target)?.path, "\(order)")
            #expect(path.hops.map { "\($0.reference.traceID.hex)/\($0.reference.spanID.hex)/\($0.relation.rawValue)" }
                == WorkflowFixture.retryToolCallPath.map { "\($0.0.hex)/\($0.1.hex)/\($0.2)" }, "\(order)")
        }
    }

    @Test("re-delivered spans are stored once, and read back whole after a restart", arguments: StoreKind.recording)
    func redeliveredSpans(kind: StoreKind) async throws {
        let (store, writer, reopen, close) = try await kind.makeRecording()
        defer { close() }
        let name = "charge \u{0}card \"β\" 🚀"   // a NUL and text to escape: stored whole
        let service = "vendor\u{0}sync"
        let spans = [Span.stub(trace: .stub(0x54), span: .stub(1), name: name, start: Self.t0,
                               attributes: [Attribute("k", .string("v\u{0}w"))], status: SpanStatus(code: .error, message: "x\u{0}y")),
                     Span.stub(trace: .stub(0x54), span: .stub(2), parent: .stub(1), start: Self.t0 + 1,
                               links: [SpanLink(traceID: .stub(0x55), spanID: .stub(9), traceState: "k=v\u{0}")])]
        let batch = TraceBatch.stub(service: service, spans: spans)
        // Twice, then a request holding one span twice.
        try await Self.write([batch, batch, .stub(service: service, spans: [spans[1], spans[1]])], with: writer)
        for reader in [store, try await reopen().0] {
            let stored = try await reader.spans(inTrace: .stub(0x54))
            #expect(stored.map(\.span) == spans)
            #expect(stored.map(\.resource.serviceName) == [service, service])
            let workflow = try #require(try await reader.workflow(containing: .stub(0x55)))   // known from the link alone
            #expect(workflow.traceIDs == [.stub(0x54), .stub(0x55)])
            #expect(workflow.spans.count == 2)
        }
    }

    @Test("a counting pattern's receipts are its first facts, the same on every store", arguments: StoreKind.queueing)
    func countedReceipts(kind: StoreKind) async throws {
        let (store, writer, _, close) = try await kind.make()
        defer { close() }
        let reads = (2...4).map { span in
            Span.stub(trace: .stub(0x81), span: .stub(UInt64(span)), parent: .stub(1), name: "execute_tool vendor.lookup", start: Self.t0 + UInt64(span),
                      attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("vendor.lookup")),
                                   Attribute("gen_ai.tool.call.id", .string("call_\(span)")),
                                   Attribute("connector.name", .string("vendor-master")), Attribute("connector.data.age_ms", .int(7_200_000))])
        }
        try await Self.write([.stub(spans: [Span.stub(trace: .stub(0x81), span: .stub(1), start: Self.t0)] + reads)], with: writer)
        let item = try #require(try await store.exceptions(ExceptionFilter(), limit: 10, after: nil).items.first { $0.exceptionClass == "stale_connector_data" })
        let detail = try #require(try await store.exception(id: item.id))
        #expect(item.occurrences == 2)
        #expect(detail.toolReceipts.map(\.callID) == ["call_2", "call_3"], "the 2 reads that made it (stale_reads_before_escalation), not the third")
    }

    @Test("retention keeps a trace known only from links for stitching, and later sweeps pass it by", arguments: StoreKind.queueing)
    func linkOnlyTraceLeavesTheSweep(kind: StoreKind) async throws {
        let (store, writer, _, close) = try await kind.make()
        defer { close() }
        let running = Task { try await writer.run() }
        let (old, ghost, later) = (TraceID.stub(0x61), TraceID.stub(0x62), TraceID.stub(0x63))
        try await writer.write(.stub(spans: [Span.stub(trace: old, span: .stub(1), start: Self.t0, links: [SpanLink(traceID: ghost, spanID: .stub(1))])]))
        let cutoff = UInt64(Date().timeIntervalSince1970 * 1e9) + 3_600_000_000_000   // everything received so far is old
        let first = try await store.sweepAgedTraces(receivedBefore: cutoff, after: nil)
        #expect(first.traces == 1 && first.next != nil)
        let again = try await store.sweepAgedTraces(receivedBefore: cutoff, after: nil)
        #expect(again.next == nil, "nothing left to examine: the trace known only from a link is not examined again")
        // It still joins a later trace linking to it to the workflow, and its own span brings it back.
        try await writer.write(.stub(spans: [Span.stub(trace: later, span: .stub(1), start: Self.t0 + 5, links: [SpanLink(traceID: ghost, spanID: .stub(1))])]))
        let joined = try #require(try await store.workflow(containing: later))
        #expect(joined.traceIDs == [old, ghost, later])
        #expect(try await store.workflow(containing: ghost) == nil, "known only from a link, past retention: unknown")
        try await writer.write(.stub(spans: [Span.stub(trace: ghost, span: .stub(1), start: Self.t0 + 1)]))
        let back = try #require(try await store.workflow(containing: ghost))
        #expect(back.record.id == joined.record.id && back.spans.map(\.span.traceID) == [ghost, later])
        writer.finish()
        try await running.value
    }

    @Test("traces that share a correlation value join one workflow, in any arrival order and across a restart",
          arguments: StoreKind.recording)
    func correlationValues(kind: StoreKind) async throws {
        let message = { (trace: UInt64, id: String) in
            Span.stub(trace: .stub(trace), span: .stub(1), name: "handle message", kind: .consumer, start: Self.t0 + trace,
                      attributes: [Attribute("messaging.message.id", .string(id))])
        }
        let (store, writer, reopen, close) = try await kind.makeRecording(correlationAttributes: ["messaging.message.id"])
        defer { close() }
        // msg-1 joins 0x61, 0x63 and 0x64 (the last two in one request); msg-2 (with a NUL) joins
        // 0x62 to 0x64, so all four are one workflow; 0x65 carries a value no one else has.
        try await Self.write([
            .stub(service: "bus", spans: [message(0x63, "msg-1")]),
            .stub(service: "bus", spans: [message(0x62, "msg\u{0}2"), message(0x65, "msg-9")]),
            .stub(service: "bus", spans: [message(0x61, "msg-1"), message(0x64, "msg-1")]),
        ], with: writer)
        let (again, againWriter) = try await reopen()
        try await Self.write([.stub(service: "bus", spans: [
            Span.stub(trace: .stub(0x64), span: .stub(2), parent: .stub(1), start: Self.t0 + 0x70, attributes: [Attribute("messaging.message.id", .string("msg\u{0}2"))]),
        ])], with: againWriter)
        for reader in [store, again] {
            let workflow = try #require(try await reader.workflow(containing: .stub(0x62)))
            #expect(workflow.traceIDs == [.stub(0x61), .stub(0x62), .stub(0x63), .stub(0x64)], "\(kind)")
            #expect(workflow.spans.count == 5)
            #expect(try await reader.workflow(containing: .stub(0x65))?.traceIDs == [.stub(0x65)])
        }
    }

    @Test("re-delivery stores nothing twice, and a detection keeps its id across a restart", arguments: StoreKind.queueing)
    func redelivery(kind: StoreKind) async throws {
        let (store, writer, reopen, close) = try await kind.make()
        defer { close() }
        let batch = TraceBatch.stub(service: "vendor-sync", spans: [Self.staleRead(0x51, 1), Self.staleRead(0x51, 2)])
        try await Self.write([batch, batch], with: writer)
        #expect(try await store.spans(inTrace: .stub(0x51)).count == 2)
        let items = try await store.exceptions(ExceptionFilter(), limit: 10, after: nil).items
        #expect(items.map(\.exceptionClass) == ["stale_connector_data"])
        let filed = try #require(items.first)
        #expect(filed.occurrences == 1)
        #expect(filed.dedupeKey?.detector == "stale_connector_data")

        let again = try await reopen().store
        #expect(try await again.exception(id: filed.id)?.record.occurrences == 1)
        #expect(try await again.exceptions(ExceptionFilter(), limit: 10, after: nil).items.map(\.id) == [filed.id])
    }

    @Test("a reviewer's action moves the item, its history and the queue's figures; the timers settle and breach", arguments: StoreKind.queueing)
    func reviewerActionAndTimers(kind: StoreKind) async throws {
        let (store, writer, _, close) = try await kind.make()
        defer { close() }
        let failing = Span.stub(trace: .stub(0x53), span: .stub(1), name: "charge card", start: Self.t0,
                                events: [SpanEvent(timeUnixNano: Self.t0 + 1, name: "exception", attributes: [Attribute("exception.type", .string("CardDeclined"))])],
                                status: SpanStatus(code: .error, message: "card declined"))
        try await Self.write([.stub(service: "vendor-sync", spans: [Self.staleRead(0x52, 1), Self.staleRead(0x52, 2)]),
                              .stub(service: "billing", spans: [failing])], with: writer)
        let filed = try #require(try await store.exceptions(ExceptionFilter(), limit: 10, after: nil).items.first)
        #expect(filed.exceptionClass == "stale_connector_data")   // the failure waits for its workflow to settle
        let changes = store.queueChanges.version
        try await store.apply(.resolve, to: filed.id, actor: "sam", owner: nil, note: "feed fixed", at: Self.t0 + 10)
        let detail = try #require(try await store.exception(id: filed.id))
        #expect(detail.record.status == .resolved)
        #expect(detail.history.map(\.action) == ["opened", "resolved"])
        #expect(store.queueChanges.version > changes)
        #expect(try await store.exceptionCounts(ExceptionFilter(), now: Self.t0 + 20)[.resolved] == 1)
        let figures = try await store.queueStatistics(now: Self.t0 + 20).total
        #expect(figures.open == 0 && figures.resolved == 1)

        // Quiet past `settle_after` (the writer stamps spans with the wall clock), the failure is
        // filed; a month later its SLA has passed.
        let later = UInt64(Date().timeIntervalSince1970 * 1e9) + 3_600_000_000_000
        let settled = try await store.settle(now: later)
        #expect(settled.opened.count == 1)
        let unresolved = try #require(settled.opened.first)
        #expect(try await store.exception(id: unresolved)?.record.exceptionClass == "unresolved_failure")
        #expect(try await store.settle(now: later + 1).opened.isEmpty, "settled once")
        #expect(try await store.breachOverdue(now: later + 30 * 86_400_000_000_000).breached == [unresolved])
    }

    @Test("a change's notification waits in the outbox, is retried after a failure, and leaves it once delivered", arguments: StoreKind.queueing)
    func outbox(kind: StoreKind) async throws {
        let plan = NotificationPlan(routes: [.init(name: "hook", events: ["opened", "resolved"])]) { route, event, record, deliveryID, _ in
            Array("\(route) \(event) \(record.id) \(deliveryID)".utf8)
        }
        let (store, writer, reopen, close) = try await kind.make(notifications: plan)
        defer { close() }
        try await Self.write([.stub(service: "vendor-sync", spans: [Self.staleRead(0x56, 1), Self.staleRead(0x56, 2)])], with: writer)
        let filed = try #require(try await store.exceptions(ExceptionFilter(), limit: 10, after: nil).items.first)
        let later = UInt64(Date().timeIntervalSince1970 * 1e9) + 60_000_000_000
        let first = try #require(try await store.dueDeliveries(now: later, limit: 10).first)
        #expect(first.event == "opened" && first.exceptionID == filed.id && first.target == "hook" && first.attempts == 0)
        #expect(String(decoding: first.body, as: UTF8.self) == "hook opened \(filed.id) \(first.deliveryID)")
        try await store.markFailed(first, error: "502 from the receiver", retryAt: later + 5_000)
        #expect(try await store.nextDeliveryDue() == later + 5_000)
        let again = try #require(try await reopen().store.dueDeliveries(now: later + 5_000, limit: 10).first)
        #expect(again.deliveryID == first.deliveryID && again.attempts == 1)
        try await store.markDelivered(again)
        try await store.markDelivered(again)   // twice (another instance, a retry): counted once
        #expect(try await store.dueDeliveries(now: later + 10_000, limit: 10).isEmpty)
        let figures = try #require(try await store.notificationFigures()["hook"])
        #expect(figures.delivered == 1 && figures.failedAttempts == 1 && figures.pending == 0 && figures.abandoned == 0)

        try await store.apply(.resolve, to: filed.id, actor: "sam", owner: nil, note: "feed fixed", at: later + 20_000)
        let resolved = try await store.dueDeliveries(now: later + 30_000, limit: 10)
        #expect(resolved.map(\.event) == ["resolved"])
        try await store.markFailed(try #require(resolved.first), error: "gone", retryAt: nil)
        #expect(try await store.notificationFigures()["hook"]?.abandoned == 1)
        #expect(try await store.nextDeliveryDue() == nil)
    }

    /// A tool call in trace 0x59, `index` counting the calls.
    static func call(_ tool: String, _ index: UInt64, failing type: String? = nil, ran: Bool = true) -> Span {
        Span.stub(trace: .stub(0x59), span: .stub(10 + index), parent: .stub(1), name: "execute_tool \(tool)", kind: .client, start: t0 + index * 1_000,
                  attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string(tool)),
                               Attribute("gen_ai.tool.call.id", .string("call_\(index)"))],
                  events: type.map { [SpanEvent(timeUnixNano: t0 + index * 1_000, name: "exception", attributes: [Attribute("exception.type", .string($0))])] } ?? [],
                  status: type != nil ? SpanStatus(code: .error, message: "failed") : ran ? SpanStatus(code: .ok) : SpanStatus(code: .error, message: "needs approval"))
    }

    /// Trace `trace` of a job: a root (linking to the root of `linkedTo`) and a lookup, failing `NotFound` or not.
    static func job(_ trace: UInt64, linkedTo: UInt64?, failing: Bool = true) -> [Span] {
        let start = t0 + trace * 1_000_000
        let failure = [SpanEvent(timeUnixNano: start + 1, name: "exception", attributes: [Attribute("exception.type", .string("NotFound"))])]
        return [
            Span.stub(trace: .stub(trace), span: .stub(2), parent: .stub(1), name: "execute_tool crm.lookup", kind: .client, start: start + 1,
                      attributes: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("crm.lookup")),
                                   Attribute("gen_ai.tool.call.id", .string("call_\(trace)"))],
                      events: failing ? failure : [], status: failing ? SpanStatus(code: .error, message: "failed") : SpanStatus(code: .ok)),
            Span.stub(trace: .stub(trace), span: .stub(1), name: "process job", start: start,
                      links: linkedTo.map { [SpanLink(traceID: .stub($0), spanID: .stub(1))] } ?? []),
        ]
    }

    /// The live (open or acknowledged) items of a store: class, id, status, occurrences and trigger.
    static func liveItems(_ store: some ExceptionQueue) async throws -> [String] {
        try await store.exceptions(ExceptionFilter.active, limit: 50, after: nil).items.map { item in
            "\(item.exceptionClass) \(item.id) \(item.status.rawValue) \(item.occurrences) \(item.trigger.traceID.low) \(item.trigger.spanID.hex)"
        }.sorted()
    }

    @Test("a failure whose part of a workflow settled alone folds into the repeat_failure the workflow gets once the rest joins it, as when it all came at once",
          arguments: StoreKind.queueing)
    func settledAloneThenJoined(kind: StoreKind) async throws {
        let jobs = [Self.job(0x61, linkedTo: nil), Self.job(0x62, linkedTo: 0x61), Self.job(0x63, linkedTo: 0x62)]
        // All at once, then quiet.
        let (together, writerTogether, _, closeTogether) = try await kind.make()
        defer { closeTogether() }
        try await Self.write(jobs.map { .stub(service: "jobs", spans: $0) }, with: writerTogether)
        try await Self.settleAll(together)
        let expected = try await Self.liveItems(together)
        #expect(expected.count == 1 && expected.first?.hasPrefix("repeat_failure ") == true, "\(expected)")

        // The last job first, quiet long enough to settle on its own: an unresolved_failure.
        let (apart, writerApart, _, closeApart) = try await kind.make()
        defer { closeApart() }
        let running = Task { try await writerApart.run() }
        try await writerApart.write(.stub(service: "jobs", spans: jobs[2]))
        try await Self.settleAll(apart)
        let alone = try #require(try await apart.exceptions(ExceptionFilter(), limit: 10, after: nil).items.first)
        #expect(alone.exceptionClass == "unresolved_failure")
        // Then the jobs it links to: the workflow's repeat_failure takes it in once the workflow settles again.
        try await writerApart.write(.stub(service: "jobs", spans: jobs[0]))
        try await writerApart.write(.stub(service: "jobs", spans: jobs[1]))
        writerApart.finish()
        try await running.value
        try await Self.settleAll(apart)
        #expect(try await Self.liveItems(apart) == expected)
        let merged = try #require(try await apart.exception(id: alone.id))
        #expect(merged.record.status == .merged)
        #expect(merged.record.mergedInto == expected.first?.split(separator: " ")[1].description)
    }

    @Test("an unresolved_failure whose call succeeded in a trace that joined after the workflow went quiet is resolved by Causeway, as if it all came at once",
          arguments: StoreKind.queueing)
    func recoveredAfterQuiet(kind: StoreKind) async throws {
        let failed = Self.job(0x71, linkedTo: nil), retried = Self.job(0x72, linkedTo: 0x71, failing: false)
        let (together, writerTogether, _, closeTogether) = try await kind.make()
        defer { closeTogether() }
        try await Self.write([.stub(service: "jobs", spans: failed), .stub(service: "jobs", spans: retried)], with: writerTogether)
        try await Self.settleAll(together)
        #expect(try await Self.liveItems(together).isEmpty, "the failure was recovered")

        let (apart, writer, _, close) = try await kind.make()
        defer { close() }
        let running = Task { try await writer.run() }
        try await writer.write(.stub(service: "jobs", spans: failed))
        try await Self.settleAll(apart)
        let filed = try #require(try await apart.exceptions(ExceptionFilter(), limit: 10, after: nil).items.first)
        #expect(filed.exceptionClass == "unresolved_failure" && filed.status == .open)
        try await writer.write(.stub(service: "jobs", spans: retried))
        writer.finish()
        try await running.value
        try await Self.settleAll(apart)
        #expect(try await Self.liveItems(apart).isEmpty, "the failure was recovered")
        let resolved = try #require(try await apart.exception(id: filed.id))
        #expect(resolved.record.status == .resolved && resolved.record.resolvedAtUnixNano != nil)
        #expect(resolved.history.map(\.action) == ["opened", "resolved"])
        #expect(resolved.history.last?.actor == "causeway")
        #expect(try await apart.queueStatistics(now: UInt64(Date().timeIntervalSince1970 * 1e9)).total.resolved == 1)
    }

    @Test("an approval holds the agent until approved and then covers the tool; a resolved pattern that recurs reopens; a settled failure folds into it",
          arguments: StoreKind.queueing)
    func decisionsReopenAndFold(kind: StoreKind) async throws {
        var detection = DetectionConfiguration()
        detection.approvalRequiredTools = ["payments.*"]
        let (store, writer, _, close) = try await kind.make(detection: detection)
        defer { close() }
        let running = Task { try await writer.run() }
        defer { writer.finish() }
        let root = Span.stub(trace: .stub(0x59), span: .stub(1), name: "invoke_agent refunds", start: Self.t0)
        try await writer.write(.stub(service: "agent", spans: [root, Self.call("payments.refund", 1, ran: false)]))
        let held = try await store.decisions(forTrace: .stub(0x59))
        #expect(held.verdict == .hold && held.workflowName == "wf_" + TraceID.stub(0x59).hex)
        let approval = try #require(held.blocking.first)
        #expect(approval.exceptionClass == "approval_required" && approval.tool == "payments.refund")
        try await store.apply(.approve, to: approval.id, actor: "maria", owner: nil, note: "refund ok", at: Self.t0 + 10)
        let approved = try await store.decisions(forTrace: .stub(0x59))
        #expect(approved.verdict == .proceed)
        #expect(approved.decisions.map { "\($0.decision.rawValue) \($0.by) \($0.callID ?? "-") \($0.tool ?? "-")" } == ["approve maria call_1 payments.refund"])
        // The call runs now, and another call of the tool: nothing new (the approval covers the tool in the workflow).
        try await writer.write(.stub(service: "agent", spans: [Self.call("payments.refund", 2), Self.call("payments.refund", 3)]))
        #expect(try await store.exceptions(ExceptionFilter.active, limit: 10, after: nil).items.isEmpty)

        // The same lookup failing the same way twice: repeat_failure; resolved; a third time: reopened.
        try await writer.write(.stub(service: "agent", spans: [Self.call("crm.lookup", 4, failing: "NotFound"), Self.call("crm.lookup", 5, failing: "NotFound")]))
        let repeated = try #require(try await store.exceptions(ExceptionFilter.active, limit: 10, after: nil).items.first)
        #expect(repeated.exceptionClass == "repeat_failure" && repeated.occurrences == 1)   // one occurrence of the pattern: its 2 failures
        try await store.apply(.resolve, to: repeated.id, actor: "sam", owner: nil, note: "fixed", at: Self.t0 + 20)
        try await writer.write(.stub(service: "agent", spans: [Self.call("crm.lookup", 6, failing: "NotFound")]))
        let reopened = try #require(try await store.exception(id: repeated.id))
        #expect(reopened.record.status == .open && reopened.record.occurrences == 2 && reopened.record.decision == nil)
        #expect(reopened.history.map(\.action) == ["opened", "resolved", "reopened"])
        #expect(reopened.toolReceipts.map(\.callID) == ["call_4", "call_5", "call_6"])

        // Quiet past settle_after, the unrecovered failure folds into the open repeat_failure, once.
        let later = UInt64(Date().timeIntervalSince1970 * 1e9) + 3_600_000_000_000
        #expect(try await store.settle(now: later).opened.isEmpty)
        let folded = try #require(try await store.exception(id: repeated.id))
        #expect(folded.record.occurrences == 3)
        #expect(folded.history.map(\.action) == ["opened", "resolved", "reopened", "folded"])
        #expect(try await store.exceptions(ExceptionFilter(), limit: 10, after: nil).items.count == 2)
        #expect(try await store.exceptionFacets().classes == ["approval_required", "repeat_failure"])
        let recurring = try await store.recurringSignatures(since: 0, limit: 10)
        #expect(recurring.map { "\($0.exceptionClass) \($0.tool ?? "-") \($0.exceptions) \($0.occurrences)" }.sorted()
            == ["approval_required payments.refund 1 1", "repeat_failure crm.lookup 1 3"])
        let figures = try await store.queueStatistics(now: later)
        #expect(figures.byClass["repeat_failure"]?.open == 1 && figures.byClass["approval_required"]?.resolved == 1)
        #expect(figures.total.resolvedWithinSLA == 1 && figures.activeAgeCounts.reduce(0, +) == 1)
        writer.finish()
        try await running.value
    }

    /// Runs the settle pass an hour from now until nothing is left to settle.
    static func settleAll(_ store: some QueueMaintenance) async throws {
        let later = UInt64(Date().timeIntervalSince1970 * 1e9) + 3_600_000_000_000
        while let next = try await store.settle(now: later).nextDue, next <= later {}
    }

    @Test("a workflow's exceptions depend only on its spans: once it settles, the same ids and triggers whatever order its traces arrived in",
          arguments: StoreKind.queueing)
    func arrivalOrder(kind: StoreKind) async throws {
        let spans = LinkedWorkflowFixture.spans(traces: 40)
        var outcomes: [[String]] = []
        for seed: UInt64 in [11, 12, 13] {
            let (store, writer, _, close) = try await kind.make()
            defer { close() }
            let running = Task { try await writer.run() }
            for request in LinkedWorkflowFixture.tracesShuffled(spans, seed: seed) { try await writer.write(request) }   // one round each
            writer.finish()
            try await running.value
            // A reviewer acknowledges what is filed so far: an item that moves at settle stays acknowledged.
            for item in try await store.exceptions(ExceptionFilter.active, limit: 100, after: nil).items {
                try await store.apply(.ack, to: item.id, actor: "sam", owner: nil, note: "looking", at: Self.t0 + 100)
            }
            try await Self.settleAll(store)
            var filter = ExceptionFilter()
            filter.statuses = [.open, .acknowledged, .resolved, .dismissed]
            let live = try await store.exceptions(filter, limit: 100, after: nil).items
            #expect(live.allSatisfy { $0.status == .acknowledged }, "seed \(seed)")
            outcomes.append(live.map { item in
                "\(item.id) \(item.exceptionClass) \(item.status.rawValue) \(item.occurrences) \(item.trigger.traceID.hex)/\(item.trigger.spanID.hex)"
            }.sorted())
            // Every id it ever showed leads to one of them (merged into it, or into one that was).
            var merged = ExceptionFilter()
            merged.statuses = [.merged]
            for item in try await store.exceptions(merged, limit: 1000, after: nil).items {
                var next = item.mergedInto
                for _ in 0..<100 {
                    guard let id = next, let record = try await store.exception(id: id)?.record, record.status == .merged else { break }
                    next = record.mergedInto
                }
                #expect(live.contains { $0.id == next }, "seed \(seed): \(item.id) leads nowhere")
            }
        }
        #expect(outcomes[0].contains { $0.contains(" repeat_failure acknowledged ") } && outcomes[0].contains { $0.contains(" stale_connector_data acknowledged ") })
        #expect(outcomes[1] == outcomes[0])
        #expect(outcomes[2] == outcomes[0])
    }
}
