import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import OTLP
import ServiceLifecycle

/// OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`, decoded with
/// protobuf-c through raw-bytes (de)serializers. Runs as a Service so that SIGTERM stops it
/// together with the HTTP listeners.
public struct OTLPGRPCListener: Service {
    public static let exportMethod = MethodDescriptor(
        fullyQualifiedService: "opentelemetry.proto.collector.trace.v1.TraceService",
        method: "Export"
    )

    let host: String
    let port: Int
    let handler: ExportHandler
    let logger: Logger
    let onListening: @Sendable (String, Int) async -> Void

    public init(host: String, port: Int, handler: ExportHandler, logger: Logger, onListening: @escaping @Sendable (String, Int) async -> Void) {
        self.host = host
        self.port = port
        self.handler = handler
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let address: GRPCNIOTransportCore.SocketAddress = host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        // The transport refuses messages far past the limit without reading them; those
        // between the limit and this get RESOURCE_EXHAUSTED from the handler.
        let transportLimit = handler.limits.maxBodyBytes + handler.limits.maxBodyBytes / 2
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: address,
                transportSecurity: .plaintext,
                config: .defaults { config in
                    config.rpc.maxRequestPayloadSize = transportLimit
                    // Exporters may send `grpc-encoding: gzip` (OTEL_EXPORTER_OTLP_COMPRESSION=gzip).
                    config.compression.enabledAlgorithms = [.gzip, .deflate]
                }
            ),
            services: [TraceExportService(handler: handler)]
        )
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                if let bound = try await server.listeningAddress {
                    if let ipv4 = bound.ipv4 {
                        await onListening(ipv4.host, ipv4.port)
                    } else if let ipv6 = bound.ipv6 {
                        await onListening(ipv6.host, ipv6.port)
                    }
                }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

/// The TraceService with its one method, registered by hand: no generated stubs needed.
struct TraceExportService: RegistrableRPCService {
    let handler: ExportHandler

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: OTLPGRPCListener.exportMethod,
            deserializer: RawBytesCoder(),
            serializer: RawBytesCoder()
        ) { streamRequest, _ in
            let request = try await ServerRequest(stream: streamRequest)
            do {
                let response = try await handler.export(request.message, encoding: .protobuf)
                return StreamingServerResponse(single: ServerResponse(message: OTLPProtobuf.encode(response)))
            } catch let error as IngestError {
                var metadata: Metadata = [:]
                if let seconds = error.retryAfterSeconds {
                    metadata.addString(String(seconds), forKey: "retry-after-seconds")
                }
                throw RPCError(code: error.grpcCode, message: error.message, metadata: metadata)
            }
        }
    }
}

/// Passes message bytes through untouched: decoding is protobuf-c's job, in the handler.
struct RawBytesCoder: MessageSerializer, MessageDeserializer {
    typealias Message = [UInt8]

    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}
