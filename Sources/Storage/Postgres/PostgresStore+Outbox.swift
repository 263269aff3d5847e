import NIOCore
import PostgresNIO

extension PostgresStore: NotificationOutbox {
    /// How long a delivery taken by one instance is left to it before another may take it (an
    /// attempt times out within seconds; an instance that died mid-attempt leaves it to the others).
    static let deliveryLeaseNanos: UInt64 = 60_000_000_000

    /// Deliveries due by `now`, oldest due first, each taken for this instance (`deliveryLeaseNanos`):
    /// several instances working one outbox each send a delivery once.
    public func dueDeliveries(now: UInt64, limit: Int) async throws -> [OutboxDelivery] {
        let lease = Int64(bitPattern: now &+ Self.deliveryLeaseNanos)
        do {
            return try await transaction { connection in
                var taken: [(due: Int64, delivery: OutboxDelivery)] = []
                for try await row in try await connection.query("""
                    WITH due AS (
                        SELECT delivery_id, next_attempt_at_unix_nano AS due FROM notification_outbox
                        WHERE next_attempt_at_unix_nano <= \(Int64(bitPattern: now))
                        ORDER BY next_attempt_at_unix_nano, created_at_unix_nano, delivery_id LIMIT \(Int64(limit))
                        FOR UPDATE SKIP LOCKED)
                    UPDATE notification_outbox SET next_attempt_at_unix_nano = \(lease) FROM due WHERE notification_outbox.delivery_id = due.delivery_id
                    RETURNING due.due, notification_outbox.delivery_id, target, event, exception_id, body, created_at_unix_nano, attempts
                    """, logger: self.logger) {
                    let (due, id, target, event, exception, body, created, attempts) =
                        try row.decode((Int64, String, String, String, String, ByteBuffer, Int64, Int32).self)
                    taken.append((due, OutboxDelivery(deliveryID: id, target: target, event: event, exceptionID: exception, body: Array(buffer: body),
                                                      createdAtUnixNano: UInt64(bitPattern: created), attempts: Int(attempts))))
                }
                return taken.sorted { ($0.due, $0.delivery.createdAtUnixNano, $0.delivery.deliveryID) < ($1.due, $1.delivery.createdAtUnixNano, $1.delivery.deliveryID) }
                    .map(\.delivery)
            }
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }

    public func nextDeliveryDue() async throws -> UInt64? {
        try await readingInSession { session in
            try session.rows("SELECT min(next_attempt_at_unix_nano) FROM notification_outbox").first?.decode(Int64?.self).map { UInt64(bitPattern: $0) }
        }
    }

    /// The receiver took it: it leaves the outbox (counted once, even when two instances sent it).
    public func markDelivered(_ delivery: OutboxDelivery) async throws {
        try await outboxWrite(delivery, counting: ["delivered"]) { delivery in
            "DELETE FROM notification_outbox WHERE delivery_id = \(delivery.deliveryID) RETURNING 1"
        }
    }

    public func markFailed(_ delivery: OutboxDelivery, error: String, retryAt: UInt64?) async throws {
        guard let retryAt else {
            return try await outboxWrite(delivery, counting: ["failed_attempts", "abandoned"]) { delivery in
                "DELETE FROM notification_outbox WHERE delivery_id = \(delivery.deliveryID) RETURNING 1"
            }
        }
        try await outboxWrite(delivery, counting: ["failed_attempts"]) { delivery in
            """
            UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at_unix_nano = \(Int64(bitPattern: retryAt)),
                last_error = \(ByteBuffer(string: error)) WHERE delivery_id = \(delivery.deliveryID) AND attempts = \(Int32(delivery.attempts))
            RETURNING 1
            """
        }
    }

    /// Runs `change` on the delivery and, when it still was in the outbox, adds one to each of
    /// `columns` of its target's figures, in one transaction.
    private func outboxWrite(_ delivery: OutboxDelivery, counting columns: [String],
                             _ change: @escaping @Sendable (OutboxDelivery) -> PostgresQuery) async throws {
        do {
            try await transaction { connection in
                guard try await !connection.query(change(delivery), logger: self.logger).collect().isEmpty else { return }
                let increments = columns.map { "\($0) = notification_figures.\($0) + 1" }.joined(separator: ", ")
                var binds = PostgresBindings()
                binds.append(delivery.target)
                try await connection.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO notification_figures (target, \(columns.joined(separator: ", "))) VALUES ($1, \(columns.map { _ in "1" }.joined(separator: ", ")))
                    ON CONFLICT (target) DO UPDATE SET \(increments)
                    """, binds: binds), logger: self.logger)
            }
        } catch {
            throw PostgresFailure.mapped(error)
        }
    }
}
