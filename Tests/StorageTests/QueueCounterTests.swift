import Detection
import Foundation
import Storage
import Testing
import TestSupport
import TraceModel

/// DESIGN.md §4 from counters: whatever happens to the items, the figures read from the
/// trigger-kept counters equal the ones counted from the items themselves, on every store.
@Suite("Queue figures kept as counters")
struct QueueCounterTests {
    static let t0 = RootCauseStorageTests.t0

    /// A fresh store of `kind` with `count` workflows, each with a re-raised failure twice (one
    /// repeat_failure each), and what to call when done.
    static func makeQueue(_ kind: StoreContractTests.StoreKind, count: Int) async throws
        -> (store: any StoreContractTests.Store, items: [ExceptionRecord], close: () -> Void) {
        let (store, writer, _, close) = try await kind.make(owners: OwnerRouting(rules: [
            OwnerRouting.Rule(service: "dispatch", owner: "logistics-ops", slaNanos: 3_600_000_000_000),
        ]))
        var batches: [TraceBatch] = []
        for index in 0..<count {
            let trace = UInt64(0x100 + index)
            batches.append(.stub(service: "dispatch", spans: RootCauseStorageTests.reRaised(trace: trace, start: UInt64(index) * 10)
                + RootCauseStorageTests.reRaised(trace: trace, start: UInt64(index) * 10 + 1).map { span in
                    var span = span
                    span.spanID = SpanID(span.spanID.value + 100)
                    if let parent = span.parentSpanID { span.parentSpanID = SpanID(parent.value + 100) }
                    return span
                }))
        }
        try await StoreContractTests.write(batches, with: writer)
        let items = try await store.exceptions(ExceptionFilter(), limit: 500, after: nil).items
        return (store, items, close)
    }

    @Test("counts, breaches, SLA share and medians follow acks, resolves, dismissals, reopens and breaches",
          arguments: StoreContractTests.StoreKind.queueing)
    func countersFollowTheItems(kind: StoreContractTests.StoreKind) async throws {
        let (store, items, close) = try await Self.makeQueue(kind, count: 12)
        defer { close() }
        try #require(items.count == 12)
        let minute: UInt64 = 60_000_000_000
        for (index, item) in items.enumerated() {
            let at = item.openedAtUnixNano + UInt64(index + 1) * minute
            switch index % 4 {
            case 0: try await store.apply(.ack, to: item.id, actor: "t", owner: nil, note: "", at: at)
            case 1: try await store.apply(.resolve, to: item.id, actor: "t", owner: nil, note: "", at: at)
            case 2: try await store.apply(.dismiss, to: item.id, actor: "t", owner: nil, note: "", at: at)
            default: break
            }
        }
        // One resolved item reopened and resolved again past its SLA.
        let reopened = items[1]
        try await store.apply(.reopen, to: reopened.id, actor: "t", owner: nil, note: "", at: reopened.openedAtUnixNano + 30 * minute)
        try await store.apply(.resolve, to: reopened.id, actor: "t", owner: nil, note: "", at: reopened.openedAtUnixNano + 120 * minute)
        // Past every due time: two marked by the breach timer, the rest overdue but not yet marked.
        let late = (items.map(\.openedAtUnixNano).max() ?? 0) + 48 * 3_600_000_000_000
        let figures = try await store.queueStatistics(now: late)
        var all: [ExceptionRecord] = []
        for status in [ExceptionStatus.open, .acknowledged, .resolved, .dismissed] {
            all += try await store.exceptions(ExceptionFilter(status: status), limit: 500, after: nil).items
        }
        func expected(_ status: ExceptionStatus) -> Int { all.filter { $0.status == status }.count }
        #expect(figures.total.open == expected(.open))
        #expect(figures.total.acknowledged == expected(.acknowledged))
        #expect(figures.total.resolved == expected(.resolved))
        #expect(figures.total.dismissed == expected(.dismissed))
        #expect(figures.total.breached == expected(.open) + expected(.acknowledged), "every active item is past due")
        #expect(figures.byOwner["logistics-ops"]?.open == expected(.open))
        #expect(figures.byClass["repeat_failure"]?.resolved == expected(.resolved))
        let resolved = all.filter { $0.status == .resolved }
        let within = resolved.filter { ($0.resolvedAtUnixNano ?? .max) <= $0.dueAtUnixNano }.count
        #expect(figures.total.resolvedWithinSLA == Double(within) / Double(resolved.count))
        let durations = resolved.compactMap { item in item.resolvedAtUnixNano.map { Double($0 - item.openedAtUnixNano) / 1e9 } }.sorted()
        let exactMedian = durations[durations.count / 2]
        let median = try #require(figures.total.medianTimeToResolutionSeconds)
        #expect(abs(median - exactMedian) / exactMedian < 0.04, "median \(median) vs exact \(exactMedian)")
        let oldest = all.filter(\.status.isActive).map(\.openedAtUnixNano).min()
        #expect(figures.total.oldestActiveAgeSeconds == oldest.map { Double(late - $0) / 1e9 })
        #expect(figures.activeAgeCounts.reduce(0, +) == expected(.open) + expected(.acknowledged))

        let marked = try await store.breachOverdue(now: late)
        #expect(marked.breached.count == expected(.open) + expected(.acknowledged))
        let after = try await store.queueStatistics(now: late)
        #expect(after.total.breached == figures.total.breached, "marked by the timer or not, a breach counts once")
        #expect(after.total.open == figures.total.open)
    }
}
