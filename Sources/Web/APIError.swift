import HTTPTypes
import Hummingbird
import Storage
import TraceModel

/// An API error: the status and a JSON body `{"error":{"code":…,"message":…}}`. Handlers throw
/// it; `SecurityHeadersMiddleware` renders it.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }

    static func badRequest(_ code: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: code, message: message)
    }

    static let unauthorized = APIError(status: .unauthorized, code: "unauthorized",
                                       message: "this server needs Authorization: Bearer <token> of a configured reviewer")

    static func unsupportedMediaType(_ got: String?) -> APIError {
        APIError(status: .unsupportedMediaType, code: "unsupported_media_type",
                 message: "API writes take Content-Type: application/json, got \(got.map { "\"\($0)\"" } ?? "none")")
    }

    static func misdirected(_ host: String) -> APIError {
        APIError(status: .misdirectedRequest, code: "misdirected_request",
                 message: "this server does not answer for host \"\(host)\"; add it to listen.allowed_hosts")
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(status: .forbidden, code: "forbidden", message: message)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.json(body, status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }

    var body: [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"error\":{\"code\":")
        writer.string(code)
        writer.key("message")
        writer.string(message)
        writer.raw("}}")
        return writer.bytes
    }
}

extension APIError {
    /// A refused action, in the API's words.
    init(_ error: ExceptionActionError) {
        switch error {
        case .notFound(let id):
            self = .notFound("no exception \(id)")
        case .invalidTransition(let action, let status):
            self = .badRequest("invalid_transition", "cannot \(action.rawValue) an exception that is \(status.rawValue)")
        case .ownerRequired:
            self = .badRequest("owner_required", "assign needs an owner")
        case .notApplicable(let action, let exceptionClass):
            self = .badRequest("invalid_action", "\(action.rawValue) is for approval_required items; this one is \(exceptionClass)")
        case .forbidden(let owner):
            self = .forbidden("your role may not act on items owned by \(owner)")
        }
    }
}

extension Response {
    /// A JSON response from already-encoded bytes.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
