/// The limits every OTLP listener enforces.
public struct IngestLimits: Sendable, Equatable {
    /// Largest request body, on the wire and after decompression. Default 20 MiB.
    public var maxBodyBytes: Int
    /// Export requests decoded and awaiting commit at once, over both protocols;
    /// more are refused as overloaded. Default 64.
    public var maxConcurrentExports: Int
    /// The `Retry-After` given when overloaded, in seconds. Default 1.
    public var retryAfterSeconds: Int

    public init(maxBodyBytes: Int = 20 * 1024 * 1024, maxConcurrentExports: Int = 64, retryAfterSeconds: Int = 1) {
        self.maxBodyBytes = maxBodyBytes
        self.maxConcurrentExports = maxConcurrentExports
        self.retryAfterSeconds = retryAfterSeconds
    }

    public static let `default` = IngestLimits()
}
