import TraceModel

/// A stored span as correlation sees it: the span (with its links) and the service that reported it.
public struct CausalNode: Hashable, Sendable {
    public var span: Span
    public var service: String

    public init(span: Span, service: String) {
        self.span = span
        self.service = service
    }

    public var reference: SpanReference { SpanReference(span) }
}
