import AsyncHTTPClient
import Foundation
import NIOCore
import TraceModel

/// The CLI's side of the query API (`--server`).
struct APIClient {
    var server: String

    /// A request the API refused, or a server that could not be reached; `message` is for the user.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// GETs `path` and returns the body of a 200 answer; anything else throws `Failure` with the
    /// API's own error message.
    func get(_ path: String) async throws -> [UInt8] {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let request = HTTPClientRequest(url: base + path)
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        } catch {
            throw Failure(message: "cannot reach the Causeway API at \(server): \(error)")
        }
        let body = try await response.body.collect(upTo: 256 * 1024 * 1024)
        let bytes = Array(body.readableBytesView)
        guard response.status == .ok else {
            let message = (try? JSONValue.parse(bytes))?["error"]?["message"]?.stringValue
            throw Failure(message: message ?? "the API answered \(response.status.code)")
        }
        return bytes
    }
}
