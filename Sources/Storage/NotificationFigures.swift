/// Delivery figures of one `notify` entry (`/api/v1/stats`, `/metrics`).
public struct NotificationFigures: Sendable, Equatable {
    public var delivered = 0
    /// Attempts that failed (each retry that failed counts).
    public var failedAttempts = 0
    /// Deliveries given up after retrying for the retry window.
    public var abandoned = 0
    /// Waiting in the outbox now.
    public var pending = 0

    public init() {}
}
