import TraceModel

/// Where ingest hands decoded spans. Every implementation keeps one promise:
/// `accept` returns only after the batch is durably committed, and throws otherwise
/// (`SpanSinkError.overloaded` when it cannot take the batch now), so an exporter is
/// acknowledged for exactly what was stored.
public protocol SpanSink: Sendable {
    func accept(_ batch: TraceBatch) async throws
}

/// Why a sink did not take a batch.
public enum SpanSinkError: Error, Sendable {
    /// Full for now; the exporter should retry after the given number of seconds.
    case overloaded(retryAfterSeconds: Int)
    /// Shutting down or failing; the exporter should retry later, maybe elsewhere.
    case unavailable(String)
}
