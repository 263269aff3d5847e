/// The notification outbox as the dispatcher works it: deliveries written by the queue's own
/// transactions, taken when due, then removed or rescheduled.
public protocol NotificationOutbox: Sendable {
    /// Bumped after a transaction that changed the queue (and so perhaps the outbox) commits.
    var queueChanges: QueueChanges { get }
    func dueDeliveries(now: UInt64, limit: Int) async throws -> [OutboxDelivery]
    func nextDeliveryDue() async throws -> UInt64?
    func markDelivered(_ delivery: OutboxDelivery) async throws
    func markFailed(_ delivery: OutboxDelivery, error: String, retryAt: UInt64?) async throws
}
