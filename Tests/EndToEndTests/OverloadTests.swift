import Foundation
import GRPCCore
import Ingest
import Logging
import OTLP
import Testing
import TestSupport
import TraceModel

/// A sink that is always full, standing in for a saturated writer.
struct FullSink: SpanSink {
    func accept(_ batch: TraceBatch) async throws {
        throw SpanSinkError.overloaded(retryAfterSeconds: 7)
    }
}

@Suite("Overload")
struct OverloadTests {
    /// Runs the two OTLP listeners over `handler` on ephemeral ports.
    func withListeners(_ handler: ExportHandler, _ body: (_ httpPort: Int, _ grpcPort: Int) async throws -> Void) async throws {
        let logger = Logger(label: "overload-test")
        let (ports, continuation) = AsyncStream.makeStream(of: (String, Int).self)
        let http = OTLPHTTPListener(host: "127.0.0.1", port: 0, handler: handler, logger: logger) { _, port in
            continuation.yield(("http", port))
        }
        let grpc = OTLPGRPCListener(host: "127.0.0.1", port: 0, handler: handler, logger: logger) { _, port in
            continuation.yield(("grpc", port))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await http.run() }
            group.addTask { try await grpc.run() }
            var bound: [String: Int] = [:]
            for await (name, port) in ports {
                bound[name] = port
                if bound.count == 2 { break }
            }
            try await body(bound["http"] ?? 0, bound["grpc"] ?? 0)
            group.cancelAll()
        }
    }

    @Test("a saturated writer gets 503 with Retry-After over HTTP and UNAVAILABLE over gRPC")
    func saturated() async throws {
        let handler = ExportHandler(sink: FullSink(), logger: Logger(label: "overload-test"))
        try await withListeners(handler) { httpPort, grpcPort in
            let body = TraceBatch.everyField.protobufExportRequest()
            let reply = try await HTTP.send("http://127.0.0.1:\(httpPort)/v1/traces",
                                            headers: [("Content-Type", "application/x-protobuf")], body: body)
            #expect(reply.status == 503)
            #expect(reply.headers["retry-after"] == "7")
            let error = await #expect(throws: RPCError.self) { try await GRPC.export(port: grpcPort, body) }
            #expect(error?.code == .unavailable)
            #expect(handler.statistics.requestsRefused == 2)
        }
    }

    @Test("requests past the concurrency limit are refused, not queued")
    func concurrencyLimit() async throws {
        let handler = ExportHandler(sink: SlowSink(), limits: IngestLimits(maxConcurrentExports: 1), logger: Logger(label: "overload-test"))
        try await withListeners(handler) { httpPort, _ in
            let body = TraceBatch.everyField.protobufExportRequest()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await HTTP.send("http://127.0.0.1:\(httpPort)/v1/traces",
                                            headers: [("Content-Type", "application/x-protobuf")], body: body).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.contains(200))
            #expect(statuses.contains(503))
        }
    }
}

/// A sink that takes a moment per batch, so requests overlap.
struct SlowSink: SpanSink {
    func accept(_ batch: TraceBatch) async throws {
        try await Task.sleep(for: .milliseconds(300))
    }
}
