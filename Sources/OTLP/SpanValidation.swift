import TraceModel

/// The per-span id checks both wire formats apply; a failure refuses that span alone.
/// `id` is nil when the wire value had the wrong length or form, which `malformed` describes.
enum SpanValidation {
    static func traceID(_ id: TraceID?, field: String, malformed: @autoclosure () -> String) throws(SpanRejection) -> TraceID {
        guard let id else { throw SpanRejection("\(field) \(malformed())") }
        guard !id.isZero else { throw SpanRejection("\(field) is all zero") }
        return id
    }

    static func spanID(_ id: SpanID?, field: String, malformed: @autoclosure () -> String) throws(SpanRejection) -> SpanID {
        guard let id else { throw SpanRejection("\(field) \(malformed())") }
        guard !id.isZero else { throw SpanRejection("\(field) is all zero") }
        return id
    }

    /// An absent or all-zero parent means a root span.
    static func parentSpanID(_ id: SpanID?, isAbsent: Bool, malformed: @autoclosure () -> String) throws(SpanRejection) -> SpanID? {
        if isAbsent { return nil }
        guard let id else { throw SpanRejection("parent_span_id \(malformed())") }
        return id.isZero ? nil : id
    }
}

/// Why one span was refused.
struct SpanRejection: Error {
    var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
