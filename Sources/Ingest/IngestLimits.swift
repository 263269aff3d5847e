/// The limits every OTLP listener enforces.
public struct IngestLimits: Sendable, Equatable {
    /// Largest request body, on the wire and after decompression. YAML `ingest.max_body_bytes`;
    /// default 20 MiB.
    public var maxBodyBytes: Int
    /// Export requests decoded and awaiting commit at once, over both protocols;
    /// more are refused as overloaded. YAML `ingest.max_concurrent_exports`; default 64.
    public var maxConcurrentExports: Int
    /// Body bytes held by every request in flight together, over both protocols; a request
    /// that does not fit is refused before its body is read. YAML `ingest.max_inflight_bytes`;
    /// default 256 MiB.
    public var maxInflightBytes: Int
    /// Streams one gRPC connection may run at once, advertised in SETTINGS.
    /// YAML `ingest.grpc_max_concurrent_streams`; default 100.
    public var grpcMaxConcurrentStreams: Int
    /// Longest string or bytes attribute value stored; longer ones are cut and counted. YAML
    /// `ingest.max_attribute_value_bytes`; default 64 KiB.
    public var maxAttributeValueBytes: Int
    /// Spans one trace may have; spans past it are refused (partial success) and counted. YAML
    /// `ingest.max_spans_per_trace`; default 100,000.
    public var maxSpansPerTrace: Int
    /// The `Retry-After` given when overloaded, in seconds. Default 1.
    public var retryAfterSeconds: Int

    public init(maxBodyBytes: Int = 20 * 1024 * 1024, maxConcurrentExports: Int = 64, maxInflightBytes: Int = 256 * 1024 * 1024,
                grpcMaxConcurrentStreams: Int = 100, maxAttributeValueBytes: Int = 64 * 1024, maxSpansPerTrace: Int = 100_000,
                retryAfterSeconds: Int = 1) {
        self.maxAttributeValueBytes = maxAttributeValueBytes
        self.maxSpansPerTrace = maxSpansPerTrace
        self.maxBodyBytes = maxBodyBytes
        self.maxConcurrentExports = maxConcurrentExports
        self.maxInflightBytes = maxInflightBytes
        self.grpcMaxConcurrentStreams = grpcMaxConcurrentStreams
        self.retryAfterSeconds = retryAfterSeconds
    }

    public static let `default` = IngestLimits()
}
