import Foundation
import GRDB

extension TraceStore {
    /// Deliveries due by `now`, oldest due first.
    public func dueDeliveries(now: UInt64, limit: Int) async throws -> [OutboxDelivery] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT delivery_id, target, event, exception_id, body, created_at_unix_nano, attempts FROM notification_outbox
                WHERE next_attempt_at_unix_nano <= ? ORDER BY next_attempt_at_unix_nano, created_at_unix_nano, delivery_id LIMIT ?
                """, arguments: [Int64(bitPattern: now), limit]).map { row in
                OutboxDelivery(deliveryID: row["delivery_id"], target: row["target"], event: row["event"], exceptionID: row["exception_id"],
                               body: [UInt8](row["body"] as Data), createdAtUnixNano: UInt64(bitPattern: row["created_at_unix_nano"]),
                               attempts: row["attempts"])
            }
        }
    }

    /// When the next delivery falls due (nil: the outbox is empty).
    public func nextDeliveryDue() async throws -> UInt64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT min(next_attempt_at_unix_nano) FROM notification_outbox").map { UInt64(bitPattern: $0) }
        }
    }

    /// The receiver took it: it leaves the outbox.
    public func markDelivered(_ delivery: OutboxDelivery) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM notification_outbox WHERE delivery_id = ?", arguments: [delivery.deliveryID])
            guard db.changesCount > 0 else { return }
            try Self.count(db, target: delivery.target, column: "delivered")
        }
    }

    /// The attempt failed: tried again at `retryAt`, or given up (nil: past the retry window).
    public func markFailed(_ delivery: OutboxDelivery, error: String, retryAt: UInt64?) async throws {
        try await write { db in
            if let retryAt {
                try db.execute(sql: """
                    UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at_unix_nano = ?, last_error = ? WHERE delivery_id = ?
                    """, arguments: [Int64(bitPattern: retryAt), error, delivery.deliveryID])
            } else {
                try db.execute(sql: "DELETE FROM notification_outbox WHERE delivery_id = ?", arguments: [delivery.deliveryID])
            }
            guard db.changesCount > 0 else { return }
            try Self.count(db, target: delivery.target, column: "failed_attempts")
            if retryAt == nil { try Self.count(db, target: delivery.target, column: "abandoned") }
        }
    }

    /// Delivery figures per `notify` entry.
    public func notificationFigures() async throws -> [String: NotificationFigures] {
        try await read { db in
            var figures: [String: NotificationFigures] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT target, delivered, failed_attempts, abandoned FROM notification_figures") {
                var entry = NotificationFigures()
                entry.delivered = row["delivered"]
                entry.failedAttempts = row["failed_attempts"]
                entry.abandoned = row["abandoned"]
                figures[row["target"]] = entry
            }
            for row in try Row.fetchAll(db, sql: "SELECT target, count(*) AS pending FROM notification_outbox GROUP BY target") {
                figures[row["target"], default: NotificationFigures()].pending = row["pending"]
            }
            return figures
        }
    }

    private static func count(_ db: Database, target: String, column: String) throws {
        try db.execute(sql: """
            INSERT INTO notification_figures (target, \(column)) VALUES (?, 1)
            ON CONFLICT (target) DO UPDATE SET \(column) = \(column) + 1
            """, arguments: [target])
    }
}
