import TraceModel

/// A span as read back from the store, with the resource and scope it was reported under.
public struct StoredSpan: Hashable, Sendable {
    public var span: Span
    public var resource: Resource
    public var scope: InstrumentationScope
    /// When Causeway committed it (Unix ns).
    public var receivedAtUnixNano: UInt64

    public init(span: Span, resource: Resource, scope: InstrumentationScope, receivedAtUnixNano: UInt64) {
        self.span = span
        self.resource = resource
        self.scope = scope
        self.receivedAtUnixNano = receivedAtUnixNano
    }
}
