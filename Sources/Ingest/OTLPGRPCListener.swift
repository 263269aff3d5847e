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
    let connections: ConnectionLimits
    let tls: ListenerTLS?
    let logger: Logger
    let onListening: @Sendable (String, Int) async -> Void

    public init(host: String, port: Int, handler: ExportHandler, connections: ConnectionLimits = .default, tls: ListenerTLS? = nil,
                logger: Logger, onListening: @escaping @Sendable (String, Int) async -> Void) {
        self.host = host
        self.port = port
        self.handler = handler
        self.connections = connections
        self.tls = tls
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let address: GRPCNIOTransportCore.SocketAddress = host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        // `GRPCStreamGuard` passes nothing over the body limit (a signal instead), so the
        // transport's own limit, which resets the stream, is never the one that refuses.
        let transportLimit = handler.limits.maxBodyBytes + 64
        let connectionCap = GRPCConnectionCap(limit: connections.maxConnections, logger: logger)
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: address,
                transportSecurity: tls.map { tls in
                    .tls(certificateChain: [.file(path: tls.certificatePath, format: .pem)], privateKey: .file(path: tls.keyPath, format: .pem))
                } ?? .plaintext,
                config: .defaults { [handler, connections, logger] config in
                    config.rpc.maxRequestPayloadSize = transportLimit
                    // Exporters may send `grpc-encoding: gzip` (OTEL_EXPORTER_OTLP_COMPRESSION=gzip);
                    // the guard hands gzip messages to the handler's bounded gunzip.
                    config.compression.enabledAlgorithms = [.gzip, .deflate]
                    config.http2.maxConcurrentStreams = handler.limits.grpcMaxConcurrentStreams
                    config.connection.maxIdleTime = connections.idleTimeout
                    config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in connectionCap.admit(channel) }
                    config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(GRPCStreamGuard(handler: handler, limits: connections, logger: logger), position: .first)
                        }
                    }
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
                let response = try await handler.export(guarded: request.message)
                return StreamingServerResponse(single: ServerResponse(message: OTLPProtobuf.encode(response)))
            } catch let error as IngestError {
                handler.countRefusal()
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
