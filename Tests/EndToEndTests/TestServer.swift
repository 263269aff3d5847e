import AsyncHTTPClient
import CausewayServer
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import NIOHTTP1
import Storage
import TestSupport

/// The real server, in this process, on ephemeral ports, with its own SQLite file.
struct TestServer {
    let server: CausewayServer
    let grpcPort: Int
    let httpPort: Int
    let apiPort: Int

    var otlpHTTP: String { "http://127.0.0.1:\(httpPort)" }
    var api: String { "http://127.0.0.1:\(apiPort)" }

    static func configuration(databasePath: String) -> CausewayConfiguration {
        var configuration = CausewayConfiguration.default
        configuration.databasePath = databasePath
        configuration.otlpGRPC = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.otlpHTTP = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.api = ListenAddress(host: "127.0.0.1", port: 0)
        return configuration
    }

    /// Starts a server, runs `body`, then shuts the server down gracefully and waits for it.
    static func with<R: Sendable>(
        databasePath: String = temporaryDatabasePath(),
        configure: (inout CausewayConfiguration) -> Void = { _ in },
        clock: any WallClock = SystemClock(),
        _ body: (TestServer) async throws -> R
    ) async throws -> R {
        var configuration = configuration(databasePath: databasePath)
        configure(&configuration)
        var logger = Logger(label: "causeway-test")
        logger.logLevel = .warning
        let (bound, continuation) = AsyncStream.makeStream(of: [CausewayServer.BoundListener].self)
        let server = try CausewayServer(configuration: configuration, logger: logger, handleSignals: false, clock: clock) { listeners in
            continuation.yield(listeners)
            continuation.finish()
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = bound.makeAsyncIterator()
            guard let listeners = await iterator.next() else { throw TestServerError("the server did not start") }
            func port(_ name: String) -> Int { listeners.first { $0.name == name }?.address.port ?? 0 }
            let running = TestServer(server: server, grpcPort: port("otlp-grpc"), httpPort: port("otlp-http"), apiPort: port("api"))
            do {
                let result = try await body(running)
                await server.shutdown()
                try await group.waitForAll()
                return result
            } catch {
                await server.shutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

struct TestServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A finished HTTP exchange.
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestServerError("the body is not a JSON object: \(text)")
        }
        return object
    }
}

enum HTTP {
    static func send(
        _ url: String,
        method: HTTPMethod = .POST,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        var headerMap: [String: String] = [:]
        for header in response.headers { headerMap[header.name.lowercased()] = header.value }
        return HTTPReply(status: Int(response.status.code), headers: headerMap, body: Array(buffer: bytes))
    }

    static func postProtobuf(_ server: TestServer, _ body: [UInt8], gzip: Bool = false) async throws -> HTTPReply {
        var headers = [("Content-Type", "application/x-protobuf")]
        if gzip { headers.append(("Content-Encoding", "gzip")) }
        return try await send(server.otlpHTTP + "/v1/traces", headers: headers, body: body)
    }

    static func postJSON(_ server: TestServer, _ body: [UInt8]) async throws -> HTTPReply {
        try await send(server.otlpHTTP + "/v1/traces", headers: [("Content-Type", "application/json")], body: body)
    }

    static func trace(_ server: TestServer, _ traceID: String) async throws -> HTTPReply {
        try await send(server.api + "/api/v1/traces/\(traceID)", method: .GET)
    }
}

/// Raw bytes in and out of gRPC: the tests build their own protobuf.
struct RawBytes: MessageSerializer, MessageDeserializer {
    typealias Message = [UInt8]
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] { bytes.withUnsafeBytes { Array($0) } }
}

enum GRPC {
    static let export = MethodDescriptor(fullyQualifiedService: "opentelemetry.proto.collector.trace.v1.TraceService", method: "Export")

    /// Sends one Export call; returns the response bytes or throws the RPCError.
    static func export(port: Int, _ body: [UInt8]) async throws -> [UInt8] {
        try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        ) { client in
            try await client.unary(
                request: ClientRequest(message: body),
                descriptor: export,
                serializer: RawBytes(),
                deserializer: RawBytes(),
                options: .defaults
            ) { try $0.message }
        }
    }
}

/// gzip of `body`, as one member.
func gzipped(_ body: [UInt8]) throws -> [UInt8] {
    var buffer = ByteBuffer(bytes: body)
    let compressed = try buffer.compress(with: .gzip())
    return Array(buffer: compressed)
}
