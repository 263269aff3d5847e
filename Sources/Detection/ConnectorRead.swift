import Foundation
import TraceModel

/// A read of connector data with its age: `connector.name` (else the tool name) and
/// `connector.data.age_ms`, or `connector.data.as_of` (RFC 3339 or Unix ms) against the span's start.
public struct ConnectorRead: Sendable, Equatable {
    public var connector: String
    public var ageNanos: UInt64

    public init?(_ span: Span) {
        let attributes = span.attributes
        guard let connector = attributes["connector.name"]?.stringValue ?? ToolCall.tool(of: span)?.name else { return nil }
        if case .int(let milliseconds)? = attributes["connector.data.age_ms"] {
            ageNanos = UInt64(max(0, milliseconds)) * 1_000_000
        } else if let asOf = attributes["connector.data.as_of"], let asOfNanos = Self.unixNanos(asOf) {
            ageNanos = span.startTimeUnixNano > asOfNanos ? span.startTimeUnixNano - asOfNanos : 0
        } else {
            return nil
        }
        self.connector = connector
    }

    static func unixNanos(_ value: AttributeValue) -> UInt64? {
        switch value {
        case .int(let milliseconds) where milliseconds >= 0:
            return UInt64(milliseconds) * 1_000_000
        case .string(let text):
            if let milliseconds = UInt64(text) { return milliseconds * 1_000_000 }
            return RFC3339.parse(text)
        default:
            return nil
        }
    }
}
