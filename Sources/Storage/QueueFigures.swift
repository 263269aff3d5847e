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
    /// The queue figures as of `now`, from the counters `QueueCounters` keeps: a few hundred
    /// rows and one indexed lookup per (class, owner), however long the queue.
    public func queueStatistics(now: UInt64) async throws -> QueueStatistics {
        try await read { db in
            var groups: [QueueGroupKey: QueueGroupTally] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT class, owner, status, breached, n FROM queue_count WHERE n > 0") {
                let key = QueueGroupKey(exceptionClass: row["class"], owner: row["owner"])
                groups[key, default: QueueGroupTally()].count(status: ExceptionStatus(rawValue: row["status"]) ?? .open, breached: row["breached"], n: row["n"])
            }
            for row in try Row.fetchAll(db, sql: "SELECT class, owner, metric, bucket, n, total FROM queue_duration WHERE n > 0") {
                let key = QueueGroupKey(exceptionClass: row["class"], owner: row["owner"])
                groups[key, default: QueueGroupTally()].duration(metric: row["metric"], bucket: row["bucket"], n: row["n"], total: row["total"])
            }
            // Overdue items the breach timer has not marked yet (it marks within a second).
            for row in try Row.fetchAll(db, sql: """
                SELECT class, owner, count(*) AS n FROM exception INDEXED BY exception_unbreached_by_due
                WHERE status IN \(QueueCounters.active) AND breached_at_unix_nano IS NULL AND due_at_unix_nano < ?
                GROUP BY class, owner
                """, arguments: [Int64(bitPattern: now)]) {
                groups[QueueGroupKey(exceptionClass: row["class"], owner: row["owner"]), default: QueueGroupTally()].breached += row["n"] as Int
            }
            let oldest = try db.cachedStatement(sql: """
                SELECT min(opened_at_unix_nano) FROM exception INDEXED BY exception_active_oldest
                WHERE status IN \(QueueCounters.active) AND class = ? AND owner = ?
                """)
            for (key, tally) in groups where tally.active > 0 {
                groups[key]?.oldestActiveOpened = try Int64.fetchOne(oldest, arguments: [key.exceptionClass, key.owner]).map { UInt64(bitPattern: $0) }
            }
            let activeSince = try db.cachedStatement(sql: "SELECT coalesce(sum(n), 0) FROM queue_active_opened WHERE minute >= ?")
            return try QueueStatistics(groups: groups, settlingWorkflows: try Int.fetchOne(db, sql: "SELECT count(*) FROM workflow_settle") ?? 0,
                                       now: now) { minute in try Int.fetchOne(activeSince, arguments: [minute]) ?? 0 }
        }
    }

}

extension QueueStatistics {
    /// The figures of the tallies of every (class, owner) group; `activeOpenedSince(minute)`:
    /// how many active items were opened in that minute (opened time / 60 s) or later.
    init(groups: [QueueGroupKey: QueueGroupTally], settlingWorkflows: Int, now: UInt64, activeOpenedSince: (Int64) throws -> Int) rethrows {
        let recent = try Self.ageEdgeMinutes(now: now).map(activeOpenedSince)
        let total = Self.merged(Array(groups.values))
        var ages = zip(recent, [0] + recent).map { $0 - $1 }
        ages.append(total.active - (recent.last ?? 0))
        let approvals = Self.merged(groups.filter { $0.key.exceptionClass == "approval_required" }.map(\.value))
        self.init(
            total: total.figures(now: now),
            byClass: Dictionary(grouping: groups, by: \.key.exceptionClass).mapValues { Self.merged($0.map(\.value)).figures(now: now) },
            byOwner: Dictionary(grouping: groups, by: \.key.owner).mapValues { Self.merged($0.map(\.value)).figures(now: now) },
            approvalTurnaroundSeconds: DurationBuckets.median(approvals.resolutionBuckets),
            settlingWorkflows: settlingWorkflows,
            reviewerSecondsPerResolved: total.reviewerCount > 0 ? total.reviewerSeconds / Double(total.reviewerCount) : nil,
            activeAgeCounts: ages
        )
    }

    /// The first minute (opened time / 60 s) of each age bucket's edge as of `now`: the minutes
    /// `activeOpenedSince` is asked for.
    static func ageEdgeMinutes(now: UInt64) -> [Int64] {
        ageBucketEdgesSeconds.map { edge in Int64(((Double(now) / 1e9 - edge) / 60).rounded(.up)) }
    }

    static func merged(_ tallies: [QueueGroupTally]) -> QueueGroupTally {
        tallies.reduce(into: QueueGroupTally()) { $0.merge($1) }
    }
}
