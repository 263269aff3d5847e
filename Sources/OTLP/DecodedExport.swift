import TraceModel

/// What an export request decoded to: the spans to store, and what was refused or repaired.
public struct DecodedExport: Sendable {
    /// The accepted spans.
    public var batch: TraceBatch
    /// Spans refused one by one (bad ids); reported in `partial_success.rejected_spans`.
    public var rejectedSpans: Int
    /// Why the first refused spans were refused.
    public var rejectionReasons: [String]
    /// String fields whose invalid UTF-8 was replaced by U+FFFD. They are stored, not refused.
    public var repairedStrings: Int
    /// Attribute values cut to the per-value limit. They are stored cut, not refused.
    public var truncatedValues = 0

    public init(batch: TraceBatch = TraceBatch(), rejectedSpans: Int = 0, rejectionReasons: [String] = [], repairedStrings: Int = 0) {
        self.batch = batch
        self.rejectedSpans = rejectedSpans
        self.rejectionReasons = rejectionReasons
        self.repairedStrings = repairedStrings
    }

    /// How many reasons are kept for the message.
    static let reasonsKept = 5

    mutating func reject(_ reason: String) {
        reject(spans: 1, reason: reason)
    }

    /// Refuses `spans` spans at once (e.g. a trace over its span cap), for the same reason.
    public mutating func reject(spans count: Int, reason: String) {
        rejectedSpans += count
        if rejectionReasons.count < Self.reasonsKept { rejectionReasons.append(reason) }
    }

    /// The response an exporter gets for this request.
    public var response: ExportResponse {
        var parts: [String] = []
        if rejectedSpans > 0 {
            let more = rejectedSpans > rejectionReasons.count ? "; …" : ""
            parts.append("\(rejectedSpans) span(s) rejected: " + rejectionReasons.joined(separator: "; ") + more)
        }
        if truncatedValues > 0 {
            parts.append("\(truncatedValues) attribute value(s) over the size limit were stored truncated")
        }
        if repairedStrings > 0 {
            parts.append("\(repairedStrings) string value(s) were not valid UTF-8 and were stored with U+FFFD replacements")
        }
        return ExportResponse(rejectedSpans: Int64(rejectedSpans), errorMessage: parts.joined(separator: ". "))
    }
}

/// `ExportTraceServiceResponse`: empty on full success, else a partial success.
public struct ExportResponse: Hashable, Sendable {
    public var rejectedSpans: Int64
    public var errorMessage: String

    public init(rejectedSpans: Int64 = 0, errorMessage: String = "") {
        self.rejectedSpans = rejectedSpans
        self.errorMessage = errorMessage
    }
}
