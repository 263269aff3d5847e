/// One notification waiting in the outbox: what to POST, to which `notify` entry.
public struct OutboxDelivery: Sendable, Equatable {
    public var deliveryID: String
    public var target: String
    public var event: String
    public var exceptionID: String
    public var body: [UInt8]
    public var createdAtUnixNano: UInt64
    /// Attempts made so far (0: never tried).
    public var attempts: Int
}
