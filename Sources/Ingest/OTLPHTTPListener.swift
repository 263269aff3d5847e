import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
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
        logger: Logger,
        onListening: @escaping @Sendable (String, Int) async -> Void
    ) {
        let router = Router()
        Self.addRoutes(to: router, handler: handler)
        application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "causeway"),
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

    static func export(_ request: Request, handler: ExportHandler) async -> Response {
        let mediaType = request.headers[.contentType]?
            .split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        let encoding: ExportHandler.Encoding
        switch mediaType {
        case "application/x-protobuf", "application/protobuf": encoding = .protobuf
        case "application/json": encoding = .json
        default:
            let message = "Content-Type must be application/x-protobuf or application/json, got \(mediaType.map { "\"\($0)\"" } ?? "none")"
            return errorResponse(.unsupportedMediaType(message), encoding: .json)
        }
        do {
            let body = try await readBody(request, limit: handler.limits.maxBodyBytes)
            let response = try await handler.export(body, encoding: encoding)
            return successResponse(response, encoding: encoding)
        } catch {
            return errorResponse(error, encoding: encoding)
        }
    }

    /// The body, decompressed, never more than `limit` bytes in memory.
    static func readBody(_ request: Request, limit: Int) async throws(IngestError) -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw .tooLarge(limitBytes: limit)
        }
        let contentEncoding = request.headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased()
        switch contentEncoding {
        case nil, "", "identity":
            do {
                return try await request.body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                throw .tooLarge(limitBytes: limit)
            } catch {
                throw .badRequest("the request body could not be read: \(error)")
            }
        case "gzip", "x-gzip":
            return try await Gunzip(maxInput: limit, maxOutput: limit).decompress(request.body)
        case let other?:
            throw .unsupportedMediaType("Content-Encoding must be gzip or none, got \"\(other)\"")
        }
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
