import TraceModel

/// Names one span: a trace id and a span id. It may name a span that has not arrived.
public struct SpanReference: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var traceID: TraceID
    public var spanID: SpanID

    public init(traceID: TraceID, spanID: SpanID) {
        self.traceID = traceID
        self.spanID = spanID
    }

    public init(_ span: Span) {
        self.init(traceID: span.traceID, spanID: span.spanID)
    }

    public init(_ link: SpanLink) {
        self.init(traceID: link.traceID, spanID: link.spanID)
    }

    public var description: String { "\(traceID.hex)/\(spanID.hex)" }

    public static func < (lhs: SpanReference, rhs: SpanReference) -> Bool {
        (lhs.traceID, lhs.spanID) < (rhs.traceID, rhs.spanID)
    }
}
