import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOSSL
import OTLP
import ServiceLifecycle

/// OTLP/HTTP: `POST /v1/traces` in protobuf or JSON, plain or gzip; the response comes in
/// the request's encoding. A Hummingbird application, so it runs as a Service.
public struct OTLPHTTPListener: Service {
    let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameter onListening: called once the socket is bound, with the actual host and port.
    public init(
        host: String,
        port: Int,
        handler: ExportHandler,
        connections: ConnectionLimits = .default,
        tls: TLSConfiguration? = nil,
        logger: Logger,
        onListening: @escaping @Sendable (String, Int) async -> Void
    ) {
        let router = Router()
        Self.addRoutes(to: router, handler: handler)
        application = Application(
            router: router,
            server: .guarded(connections, tls: tls),
            configuration: connections.applicationConfiguration(host: host, port: port, listener: "otlp-http", logger: logger),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.ipAddress ?? host, channel.localAddress?.port ?? port)
            },
            logger: logger
        )
    }

    public func run() async throws {
        try await application.run()
    }

    static func addRoutes(to router: Router<BasicRequestContext>, handler: ExportHandler) {
        router.post("/v1/traces") { request, _ -> Response in
            await export(request, handler: handler)
        }
        for method: HTTPRequest.Method in [.get, .put, .delete, .patch, .head, .options] {
            router.on("/v1/traces", method: method) { _, _ -> Response in
                Response(status: .methodNotAllowed, headers: [.allow: "POST"])
            }
        }
    }

    /// Token, content type, encoding and admission are all checked before the body is read. A
    /// refused body is then drained unkept, like nginx's lingering close: most clients read the
    /// status only after sending, so cutting them off would lose the status (and the Retry-After).
    static func export(_ request: Request, handler: ExportHandler) async -> Response {
        let mediaType = request.headers[.contentType]?
            .split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        let encoding: ExportHandler.Encoding? = switch mediaType {
        case "application/x-protobuf", "application/protobuf": .protobuf
        case "application/json": .json
        default: nil
        }
        var bodyStarted = false
        do {
            try handler.authorize(request.headers[.authorization])
            guard let encoding else {
                let message = "Content-Type must be application/x-protobuf or application/json, got \(mediaType.map { "\"\($0)\"" } ?? "none")"
                throw IngestError.unsupportedMediaType(message)
            }
            let limit = handler.limits.maxBodyBytes
            let declared = request.headers[.contentLength].flatMap(Int.init)
            if let declared, declared > limit { throw IngestError.tooLarge(limitBytes: limit) }
            let compressed = try isCompressed(request)
            var reservation = try handler.admit(bytes: declared ?? min(limit, 64 * 1024))
            bodyStarted = true
            let body: ByteBuffer
            if compressed {
                var gunzip = try Gunzip(maxInput: limit, maxOutput: limit)
                body = try await gunzip.decompress(request.body, holding: &reservation, for: handler)
            } else {
                body = try await readPlain(request.body, limit: limit, declared: declared, holding: &reservation, for: handler)
            }
            let response = try await handler.export(body, encoding: encoding)
            reservation.end()
            return successResponse(response, encoding: encoding)
        } catch let error as IngestError {
            handler.countRefusal()
            var response = errorResponse(error, encoding: encoding ?? .json)
            if !bodyStarted, await !discard(request.body, upTo: handler.limits.maxBodyBytes) {
                response.headers[.connection] = "close"
            }
            return response
        } catch {
            handler.countRefusal()
            return errorResponse(.badRequest("the request body could not be read: \(error)"), encoding: encoding ?? .json)
        }
    }

    /// Reads a refused body and keeps none of it; false when it is longer than `limit` (the
    /// connection is then closed instead).
    static func discard(_ body: RequestBody, upTo limit: Int) async -> Bool {
        var seen = 0
        do {
            for try await chunk in body {
                seen += chunk.readableBytes
                if seen > limit { return false }
            }
            return true
        } catch {
            return false
        }
    }

    /// Whether the body is gzip; another Content-Encoding is refused.
    static func isCompressed(_ request: Request) throws(IngestError) -> Bool {
        switch request.headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "", "identity": false
        case "gzip", "x-gzip": true
        case let other?: throw .unsupportedMediaType("Content-Encoding must be gzip or none, got \"\(other)\"")
        }
    }

    /// An uncompressed body, never more than `limit` bytes, each chunk admitted to the budget
    /// (`reservation` grows as it comes). The buffer is made as large as the declared length
    /// (already admitted) at once: grown by doubling, a 19 MiB body was copied and page-faulted
    /// several times over on the cooperative pool.
    static func readPlain(_ body: RequestBody, limit: Int, declared: Int?, holding reservation: inout BudgetReservation,
                          for handler: ExportHandler) async throws(IngestError) -> ByteBuffer {
        var collected = ByteBuffer()
        if let declared, declared <= limit { collected.reserveCapacity(declared) }
        do {
            for try await chunk in body {
                guard collected.readableBytes + chunk.readableBytes <= limit else { throw IngestError.tooLarge(limitBytes: limit) }
                try handler.grow(&reservation, to: collected.readableBytes + chunk.readableBytes)
                var chunk = chunk
                collected.writeBuffer(&chunk)
            }
        } catch let error as IngestError {
            throw error
        } catch {
            throw .badRequest("the request body could not be read: \(error)")
        }
        return collected
    }

    static func successResponse(_ response: ExportResponse, encoding: ExportHandler.Encoding) -> Response {
        let body: [UInt8]
        switch encoding {
        case .protobuf: body = OTLPProtobuf.encode(response)
        case .json: body = OTLPJSON.encode(response)
        }
        return Response(
            status: .ok,
            headers: [.contentType: contentType(encoding)],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    static func errorResponse(_ error: IngestError, encoding: ExportHandler.Encoding) -> Response {
        let body: [UInt8]
        switch encoding {
        case .protobuf: body = OTLPProtobuf.encodeStatus(code: error.statusCodeNumber, message: error.message)
        case .json: body = OTLPJSON.encodeStatus(code: error.statusCodeNumber, message: error.message)
        }
        var headers: HTTPFields = [.contentType: contentType(encoding)]
        if let seconds = error.retryAfterSeconds {
            headers[.retryAfter] = String(seconds)
        }
        return Response(status: error.httpStatus, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func contentType(_ encoding: ExportHandler.Encoding) -> String {
        switch encoding {
        case .protobuf: "application/x-protobuf"
        case .json: "application/json"
        }
    }
}
