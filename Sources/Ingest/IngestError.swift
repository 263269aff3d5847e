import GRPCCore
import HTTPTypes

/// Why an export request was not accepted, in the exporter's terms. The status codes of
/// both protocols are mapped here and nowhere else (as the OpenTelemetry Collector does):
/// permanent problems → 400/415/413 and INVALID_ARGUMENT/RESOURCE_EXHAUSTED, no token → 401 and
/// UNAUTHENTICATED, overload →
/// 503 + Retry-After and UNAVAILABLE, which exporters retry.
public enum IngestError: Error, Sendable, Equatable {
    /// The body is not a valid export request; nothing of it was stored.
    case badRequest(String)
    /// The body is over the limit, on the wire or decompressed.
    case tooLarge(limitBytes: Int)
    /// A content type or content encoding Causeway does not speak.
    case unsupportedMediaType(String)
    /// Too busy now; retry after the given seconds.
    case overloaded(retryAfterSeconds: Int)
    /// Cannot store now (shutting down, database failing); retry later.
    case unavailable(String)
    /// Ingest tokens are configured and the request carried none of them.
    case unauthenticated

    public var message: String {
        switch self {
        case .badRequest(let message): message
        case .tooLarge(let limit): "request body exceeds the \(limit)-byte limit"
        case .unsupportedMediaType(let message): message
        case .overloaded: "Causeway is at capacity; retry later"
        case .unavailable(let message): message
        case .unauthenticated: "an ingest token is required: send Authorization: Bearer <token>"
        }
    }

    public var httpStatus: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .overloaded, .unavailable: .serviceUnavailable
        case .unauthenticated: .unauthorized
        }
    }

    /// Seconds for a `Retry-After` header, for the errors worth retrying.
    public var retryAfterSeconds: Int? {
        switch self {
        case .overloaded(let seconds): seconds
        case .unavailable: 5
        default: nil
        }
    }

    public var grpcCode: RPCError.Code {
        switch self {
        case .badRequest, .unsupportedMediaType: .invalidArgument
        case .tooLarge: .resourceExhausted
        case .overloaded, .unavailable: .unavailable
        case .unauthenticated: .unauthenticated
        }
    }

    /// The `google.rpc.Status` code number that goes in an HTTP error body.
    var statusCodeNumber: Int32 {
        switch self {
        case .badRequest, .unsupportedMediaType: 3
        case .tooLarge: 8
        case .overloaded, .unavailable: 14
        case .unauthenticated: 16
        }
    }
}
