import Correlation
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Storage
import TraceModel

/// The query API (and later the dashboard) on `--api`: reads through the store's query methods.
public struct APIListener: Service {
    let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameter onListening: called once the socket is bound, with the actual host and port.
    public init(
        host: String, port: Int, store: TraceStore, clock: any WallClock = SystemClock(),
        ingestFigures: @escaping @Sendable () -> IngestFigures, logger: Logger,
        onListening: @escaping @Sendable (String, Int) async -> Void
    ) {
        let router = Router()
        Self.addRoutes(to: router, store: store, clock: clock, ingestFigures: ingestFigures)
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

    static func addRoutes(
        to router: Router<BasicRequestContext>, store: TraceStore, clock: any WallClock, ingestFigures: @escaping @Sendable () -> IngestFigures
    ) {
        router.get("/healthz") { _, _ -> Response in
            Response.json(Array("{\"status\":\"ok\"}".utf8))
        }
        ExceptionRoutes.add(to: router, store: store) { clock.now() }
        router.get("/metrics") { _, _ -> Response in
            let queue = try await store.queueStatistics(now: clock.now())
            let body = PrometheusMetrics.render(queue: queue, ingest: ingestFigures())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/api/v1/stats") { _, _ -> Response in
            let queue = try await store.queueStatistics(now: clock.now())
            var writer = JSONWriter(capacity: 2048)
            writer.raw("{\"queue\":")
            queue.writeJSON(to: &writer)
            writer.key("ingest")
            ingestFigures().writeJSON(to: &writer)
            writer.byte(UInt8(ascii: "}"))
            return Response.json(writer.bytes)
        }
        router.get("/api/v1/traces/:trace_id") { _, context -> Response in
            guard let traceID = TraceID(hex: context.parameters.get("trace_id") ?? ""), !traceID.isZero else {
                return APIError.badRequest("invalid_trace_id", "a trace id is 32 hex digits and not all zero").response
            }
            guard let workflow = try await store.workflow(containing: traceID) else {
                return APIError.notFound("no spans stored for trace \(traceID.hex)").response
            }
            return Response.json(TraceWorkflowView(requestedTrace: traceID, workflow: workflow).json())
        }
        router.get("/api/v1/spans/:trace_id/:span_id/path") { _, context -> Response in
            guard let traceID = TraceID(hex: context.parameters.get("trace_id") ?? ""), !traceID.isZero else {
                return APIError.badRequest("invalid_trace_id", "a trace id is 32 hex digits and not all zero").response
            }
            guard let spanID = SpanID(hex: context.parameters.get("span_id") ?? ""), !spanID.isZero else {
                return APIError.badRequest("invalid_span_id", "a span id is 16 hex digits and not all zero").response
            }
            let reference = SpanReference(traceID: traceID, spanID: spanID)
            guard let found = try await store.causalPath(to: reference) else {
                return APIError.notFound("no span \(spanID.hex) stored in trace \(traceID.hex)").response
            }
            var writer = JSONWriter(capacity: 1024 * found.path.hops.count)
            writer.raw("{\"workflow_id\":")
            writer.string(found.workflow.name)
            writer.key("trace_id")
            writer.string(traceID.hex)
            writer.key("span_id")
            writer.string(spanID.hex)
            writer.key("causal_path")
            CausalHop.writeAPIJSON(found.path.hops, to: &writer)
            writer.key("cycle_cut")
            writer.bool(found.path.cycleCut)
            writer.key("linked_by")
            SpanReference.writeAPIJSON(found.linkedBy, to: &writer)
            writer.byte(UInt8(ascii: "}"))
            return Response.json(writer.bytes)
        }
    }
}
