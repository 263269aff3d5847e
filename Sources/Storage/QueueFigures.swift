import Detection
import Foundation
import GRDB

/// The queue figures of DESIGN.md §4, for one group (a class, an owner, or everything).
public struct QueueFigures: Sendable, Equatable {
    public var open = 0
    public var acknowledged = 0
    public var resolved = 0
    public var dismissed = 0
    /// Age of the oldest open or acknowledged item, in seconds.
    public var oldestActiveAgeSeconds: Double?
    /// Share of resolved items resolved by their due time.
    public var resolvedWithinSLA: Double?
    /// Items past their due time and still open or acknowledged.
    public var breached = 0
    public var medianTimeToFirstActionSeconds: Double?
    public var medianTimeToResolutionSeconds: Double?
}

/// The whole queue, grouped.
public struct QueueStatistics: Sendable {
    public var total: QueueFigures
    public var byClass: [String: QueueFigures]
    public var byOwner: [String: QueueFigures]
    /// Median time from opening to resolution of `approval_required` items.
    public var approvalTurnaroundSeconds: Double?
    /// Workflows waiting to go quiet before their settling patterns are judged.
    public var settlingWorkflows = 0
    /// The exception tax: mean reviewer time per resolved item, from its first action to its
    /// resolution (zero when the first action resolved it).
    public var reviewerSecondsPerResolved: Double?
    /// Active items by age: under 1 h, 1–4 h, 4–24 h, 1–7 days, older (`ageBucketEdgesSeconds`).
    public var activeAgeCounts: [Int] = []

    /// The upper edges of `activeAgeCounts`' buckets but the last.
    public static let ageBucketEdgesSeconds: [Double] = [3600, 4 * 3600, 86_400, 7 * 86_400]
}

extension TraceStore {
    /// The queue figures as of `now`.
    public func queueStatistics(now: UInt64) async throws -> QueueStatistics {
        let (rows, settling) = try await read { db in
            let settling = try Int.fetchOne(db, sql: "SELECT count(*) FROM workflow_settle") ?? 0
            return (try Row.fetchAll(db, sql: """
                SELECT class, owner, status, opened_at_unix_nano, due_at_unix_nano, first_action_at_unix_nano, resolved_at_unix_nano
                FROM exception WHERE status != 'merged'
                """).map { row in
                Item(exceptionClass: row["class"], owner: row["owner"], status: ExceptionStatus(rawValue: row["status"]) ?? .open,
                     opened: UInt64(bitPattern: row["opened_at_unix_nano"]), due: UInt64(bitPattern: row["due_at_unix_nano"]),
                     firstAction: (row["first_action_at_unix_nano"] as Int64?).map { UInt64(bitPattern: $0) },
                     resolved: (row["resolved_at_unix_nano"] as Int64?).map { UInt64(bitPattern: $0) })
            }, settling)
        }
        let approvals = rows.filter { $0.exceptionClass == "approval_required" && $0.status == .resolved }
        return QueueStatistics(
            total: Self.figures(rows, now: now),
            byClass: Dictionary(grouping: rows, by: \.exceptionClass).mapValues { Self.figures($0, now: now) },
            byOwner: Dictionary(grouping: rows, by: \.owner).mapValues { Self.figures($0, now: now) },
            approvalTurnaroundSeconds: Self.median(approvals.compactMap { item in item.resolved.map { Self.seconds($0, since: item.opened) } }),
            settlingWorkflows: settling,
            reviewerSecondsPerResolved: Self.mean(rows.filter { $0.status == .resolved }.compactMap { item in
                item.resolved.map { Self.seconds($0, since: item.firstAction ?? $0) }
            }),
            activeAgeCounts: Self.ageCounts(rows.filter(\.status.isActive).map { Self.seconds(now, since: $0.opened) })
        )
    }

    struct Item: Sendable {
        var exceptionClass: String
        var owner: String
        var status: ExceptionStatus
        var opened: UInt64
        var due: UInt64
        var firstAction: UInt64?
        var resolved: UInt64?
    }

    static func figures(_ items: [Item], now: UInt64) -> QueueFigures {
        var figures = QueueFigures()
        for item in items {
            switch item.status {
            case .open: figures.open += 1
            case .acknowledged: figures.acknowledged += 1
            case .resolved: figures.resolved += 1
            case .dismissed: figures.dismissed += 1
            case .merged: continue
            }
        }
        let active = items.filter { $0.status.isActive }
        figures.oldestActiveAgeSeconds = active.map(\.opened).min().map { seconds(now, since: $0) }
        figures.breached = active.filter { now > $0.due }.count
        let resolved = items.filter { $0.status == .resolved }
        if !resolved.isEmpty {
            figures.resolvedWithinSLA = Double(resolved.filter { ($0.resolved ?? .max) <= $0.due }.count) / Double(resolved.count)
        }
        figures.medianTimeToFirstActionSeconds = median(items.compactMap { item in item.firstAction.map { seconds($0, since: item.opened) } })
        figures.medianTimeToResolutionSeconds = median(resolved.compactMap { item in item.resolved.map { seconds($0, since: item.opened) } })
        return figures
    }

    static func seconds(_ later: UInt64, since earlier: UInt64) -> Double {
        later > earlier ? Double(later - earlier) / 1e9 : 0
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    static func ageCounts(_ ages: [Double]) -> [Int] {
        var counts = [Int](repeating: 0, count: QueueStatistics.ageBucketEdgesSeconds.count + 1)
        for age in ages {
            counts[QueueStatistics.ageBucketEdgesSeconds.firstIndex { age < $0 } ?? QueueStatistics.ageBucketEdgesSeconds.count] += 1
        }
        return counts
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
