/// What one writer round recorded: the store's answer to `SpanRecorder.recordSpans`.
struct Recorded {
    /// Spans that were new (not re-deliveries).
    var inserted: Int
    /// Time spent joining the new spans' traces into workflows.
    var stitching: Duration
    /// Time spent judging patterns and filing exceptions.
    var detection: Duration = .zero
    /// Exceptions opened by this transaction.
    var opened: [String] = []
}
