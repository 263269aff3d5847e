import TraceModel

/// A failed span (status ERROR) and its type: `error.type`, else the `exception` event's
/// `exception.type`, else `error`.
public struct Failure: Sendable, Equatable {
    public var type: String

    public init?(_ span: Span) {
        guard span.status.code == .error else { return nil }
        if let type = span.attributes["error.type"]?.stringValue, !type.isEmpty {
            self.type = type
        } else if let type = span.events.first(where: { $0.name == "exception" })?.attributes["exception.type"]?.stringValue, !type.isEmpty {
            self.type = type
        } else {
            type = "error"
        }
    }
}
