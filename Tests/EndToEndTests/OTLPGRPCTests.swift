import GRPCCore
import OTLP
import Testing
import TestSupport
import TraceModel

@Suite("OTLP/gRPC end to end")
struct OTLPGRPCTests {
    @Test("Export stores the spans before it answers")
    func export() async throws {
        try await TestServer.with { server async throws in
            let reply = try await GRPC.export(port: server.grpcPort, TraceBatch.everyField.protobufExportRequest())
            #expect(try OTLPProtobuf.decodeExportResponse(reply) == ExportResponse())
            let stored = try await server.server.store.spans(inTrace: .stub(0xABCD))
            #expect(stored.map(\.span).contains(Span.everyField()))
        }
    }

    @Test("partial success carries the rejected count")
    func partialSuccess() async throws {
        try await TestServer.with { server async throws in
            let batch = TraceBatch.stub(spans: [.stub(span: SpanID(0)), .stub(span: .stub(5))])
            let reply = try await GRPC.export(port: server.grpcPort, batch.protobufExportRequest())
            #expect(try OTLPProtobuf.decodeExportResponse(reply).rejectedSpans == 1)
        }
    }

    @Test("a malformed message is INVALID_ARGUMENT and the server keeps serving")
    func invalidArgument() async throws {
        try await TestServer.with { server async throws in
            let error = await #expect(throws: RPCError.self) {
                try await GRPC.export(port: server.grpcPort, Array("garbage garbage".utf8))
            }
            #expect(error?.code == .invalidArgument)
            #expect(try await GRPC.export(port: server.grpcPort, TraceBatch.everyField.protobufExportRequest()).isEmpty)
        }
    }

    @Test("a message over 20 MiB is RESOURCE_EXHAUSTED")
    func tooLarge() async throws {
        try await TestServer.with { server async throws in
            let error = await #expect(throws: RPCError.self) {
                try await GRPC.export(port: server.grpcPort, [UInt8](repeating: 0, count: 20 * 1024 * 1024 + 1))
            }
            #expect(error?.code == .resourceExhausted)
        }
    }
}
