import Hummingbird
import TraceModel

/// The ids in route paths, validated once for the API and the dashboard.
enum PathIDs {
    /// `exc_` and 16 lowercase hex digits.
    static func exceptionID(_ context: WebRequestContext) -> String? {
        let id = context.parameters.get("id") ?? ""
        let valid = id.utf8.count == 20 && id.hasPrefix("exc_") && id.dropFirst(4).allSatisfy { $0.isHexDigit && !$0.isUppercase }
        return valid ? id : nil
    }

    /// 32 hex digits, not all zero.
    static func traceID(_ context: WebRequestContext) -> TraceID? {
        guard let id = TraceID(hex: context.parameters.get("trace_id") ?? ""), !id.isZero else { return nil }
        return id
    }

    /// 16 hex digits, not all zero.
    static func spanID(_ context: WebRequestContext) -> SpanID? {
        guard let id = SpanID(hex: context.parameters.get("span_id") ?? ""), !id.isZero else { return nil }
        return id
    }
}
