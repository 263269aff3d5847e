import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import TraceModel

/// The CLI's side of the query API (`--server`).
struct APIClient {
    var server: String
    /// A reviewer's token, sent as `Authorization: Bearer`.
    var token: String?
    /// A private CA (PEM) to trust for an https server, besides the system's.
    var caPath: String?

    /// A request the API refused, or a server that could not be reached; `message` is for the user.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// GETs `path` and returns the body of a 200 answer; anything else throws `Failure` with the
    /// API's own error message.
    func get(_ path: String) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url(path))
        authorize(&request)
        return try await send(request)
    }

    /// POSTs a JSON body to `path`; like `get`, returns the body of a 200 answer.
    func post(_ path: String, json body: [UInt8]) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url(path))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        authorize(&request)
        return try await send(request)
    }

    private func authorize(_ request: inout HTTPClientRequest) {
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    }

    private func url(_ path: String) -> String {
        (server.hasSuffix("/") ? String(server.dropLast()) : server) + path
    }

    private func send(_ request: HTTPClientRequest) async throws -> [UInt8] {
        var configuration = HTTPClient.Configuration()
        // A server that is not there should fail the command in seconds, not after the request timeout.
        configuration.timeout.connect = .seconds(3)
        if let caPath {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caPath)
            configuration.tlsConfiguration = tls
        }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let outcome: Result<(HTTPClientResponse, [UInt8]), any Error>
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 256 * 1024 * 1024)
            outcome = .success((response, Array(body.readableBytesView)))
        } catch {
            outcome = .failure(error)
        }
        try? await client.shutdown()
        guard case .success(let (response, bytes)) = outcome else {
            if case .failure(let error) = outcome { throw Failure(message: "cannot reach the Causeway API at \(server): \(error)") }
            throw Failure(message: "cannot reach the Causeway API at \(server)")
        }
        guard response.status == .ok else {
            let message = (try? JSONValue.parse(bytes))?["error"]?["message"]?.stringValue
            throw Failure(message: message ?? "the API answered \(response.status.code)")
        }
        return bytes
    }
}
