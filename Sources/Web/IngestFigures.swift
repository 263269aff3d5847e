import TraceModel

/// The ingest side of `/api/v1/stats`: what the listeners accepted and refused and what the
/// writer stored, with the time it spent writing and stitching.
public struct IngestFigures: Sendable {
    public var requestsAccepted: Int
    public var requestsRefused: Int
    public var spansAccepted: Int
    public var spansRejected: Int
    public var spansWritten: Int
    public var spansDuplicate: Int
    public var queuedSpans: Int
    public var transactions: Int
    public var writingSeconds: Double
    public var stitchingSeconds: Double
    public var lagSeconds: Double
    public var exceptionsOpened: Int
    public var detectionSeconds: Double
    /// Requests refused for want of an ingest token.
    public var unauthenticated = 0
    /// Requests refused because the in-flight byte budget was full.
    public var refusedOverBudget = 0
    /// Body bytes held by requests in flight now.
    public var inflightBytes = 0
    /// Attribute values stored cut to the per-value limit.
    public var attributeValuesTruncated = 0
    /// Spans refused because their trace passed the per-trace span cap.
    public var spansOverTraceCap = 0

    public init(
        requestsAccepted: Int, requestsRefused: Int, spansAccepted: Int, spansRejected: Int, spansWritten: Int,
        spansDuplicate: Int, queuedSpans: Int, transactions: Int, writingSeconds: Double, stitchingSeconds: Double,
        lagSeconds: Double, exceptionsOpened: Int, detectionSeconds: Double
    ) {
        self.detectionSeconds = detectionSeconds
        self.lagSeconds = lagSeconds
        self.exceptionsOpened = exceptionsOpened
        self.requestsAccepted = requestsAccepted
        self.requestsRefused = requestsRefused
        self.spansAccepted = spansAccepted
        self.spansRejected = spansRejected
        self.spansWritten = spansWritten
        self.spansDuplicate = spansDuplicate
        self.queuedSpans = queuedSpans
        self.transactions = transactions
        self.writingSeconds = writingSeconds
        self.stitchingSeconds = stitchingSeconds
    }

    func writeJSON(to writer: inout JSONWriter) {
        writer.raw("{\"requests_accepted\":")
        writer.number(requestsAccepted)
        writer.key("requests_refused")
        writer.number(requestsRefused)
        writer.key("spans_accepted")
        writer.number(spansAccepted)
        writer.key("spans_rejected")
        writer.number(spansRejected)
        writer.key("spans_written")
        writer.number(spansWritten)
        writer.key("spans_duplicate")
        writer.number(spansDuplicate)
        writer.key("queued_spans")
        writer.number(queuedSpans)
        writer.key("transactions")
        writer.number(transactions)
        writer.key("writing_seconds")
        writer.number(writingSeconds)
        writer.key("stitching_seconds")
        writer.number(stitchingSeconds)
        writer.key("detection_seconds")
        writer.number(detectionSeconds)
        writer.key("lag_seconds")
        writer.number(lagSeconds)
        writer.key("exceptions_opened")
        writer.number(exceptionsOpened)
        writer.key("unauthenticated")
        writer.number(unauthenticated)
        writer.key("refused_over_budget")
        writer.number(refusedOverBudget)
        writer.key("inflight_bytes")
        writer.number(inflightBytes)
        writer.key("attribute_values_truncated")
        writer.number(attributeValuesTruncated)
        writer.key("spans_over_trace_cap")
        writer.number(spansOverTraceCap)
        writer.byte(UInt8(ascii: "}"))
    }
}
