import NIOCore
import PostgresNIO

extension PostgresStore: NotificationOutbox {
    public func dueDeliveries(now: UInt64, limit: Int) async throws -> [OutboxDelivery] {
        try await readingInSession { session in
            try session.rows("""
                SELECT delivery_id, target, event, exception_id, body, created_at_unix_nano, attempts FROM notification_outbox
                WHERE next_attempt_at_unix_nano <= \(Int64(bitPattern: now))
                ORDER BY next_attempt_at_unix_nano, created_at_unix_nano, delivery_id LIMIT \(Int64(limit))
                """).map { row in
                let (id, target, event, exception, body, created, attempts) = try row.decode((String, String, String, String, ByteBuffer, Int64, Int32).self)
                return OutboxDelivery(deliveryID: id, target: target, event: event, exceptionID: exception, body: Array(buffer: body),
                                      createdAtUnixNano: UInt64(bitPattern: created), attempts: Int(attempts))
            }
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
                last_error = \(ByteBuffer(string: error)) WHERE delivery_id = \(delivery.deliveryID) RETURNING 1
            """
        }
    }

    /// Runs `change` on the delivery and, when it still was in the outbox, adds one to each of
    /// `columns` of its target's figures, in one transaction.
    private func outboxWrite(_ delivery: OutboxDelivery, counting columns: [String],
                             _ change: @escaping @Sendable (OutboxDelivery) -> PostgresQuery) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
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
