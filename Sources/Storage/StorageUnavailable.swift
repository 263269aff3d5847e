/// The database cannot be reached now (no connection came in time): the request may be sent
/// again later. Exports answer 503 and the API 503, each with `Retry-After`.
public struct StorageUnavailable: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    /// When to try again.
    public var retryAfterSeconds: Int

    public init(_ message: String, retryAfterSeconds: Int = 5) {
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { message }
}
