import HTTPTypes
import Hummingbird
import Storage

/// The database cannot be reached now: 503 with `Retry-After`, in the API's error shape (not a
/// 500: nothing is wrong with the request, and it may be sent again).
extension StorageUnavailable: HTTPResponseError {
    public var status: HTTPResponse.Status { .serviceUnavailable }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try APIError(status: status, code: "storage_unavailable", message: message).response(from: request, context: context)
        response.headers[.retryAfter] = String(retryAfterSeconds)
        return response
    }
}
