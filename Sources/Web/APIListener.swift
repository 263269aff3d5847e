import Correlation
import Foundation
import Hummingbird
import Ingest
import Logging
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Storage
import TraceModel

/// The query API and the reviewers' dashboard on `--api`: reads through the store's query methods.
public struct APIListener: Service {
    let application: Application<RouterResponder<WebRequestContext>>

    /// - Parameter onListening: called once the socket is bound, with the actual host and port.
    public init(
        host: String, port: Int, store: any ExceptionQueue & WorkflowReader, clock: any WallClock = SystemClock(), reviewers: ReviewerDirectory = ReviewerDirectory(),
        connections: ConnectionLimits = .default, tls: TLSConfiguration? = nil, allowedHosts: [String] = [],
        ingestFigures: @escaping @Sendable () -> IngestFigures, logger: Logger,
        onListening: @escaping @Sendable (String, Int) async -> Void
    ) throws {
        let router = try Self.router(store: store, clock: clock, reviewers: reviewers,
                                     origin: RequestOriginMiddleware(listenerHost: host, allowedHosts: allowedHosts), ingestFigures: ingestFigures)
        application = Application(
            router: router,
            server: .guarded(connections, tls: tls),
            configuration: connections.applicationConfiguration(host: host, port: port, listener: "api", logger: logger),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.ipAddress ?? host, channel.localAddress?.port ?? port)
            },
            eventLoopGroupProvider: .shared(Self.eventLoop),
            logger: logger
        )
    }

    /// The API's own event loop: on the shared ones, `/healthz` and the reviewers' pages waited
    /// behind ingest's bodies (hundreds of 19 MiB uploads being read and drained at once).
    static let eventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    public func run() async throws {
        try await application.run()
    }

    /// Every route of the listener, behind the security headers and the access check.
    public static func router(
        store: any ExceptionQueue & WorkflowReader, clock: any WallClock, reviewers: ReviewerDirectory, signer: SessionSigner = SessionSigner(),
        origin: RequestOriginMiddleware = RequestOriginMiddleware(listenerHost: "127.0.0.1", allowedHosts: []),
        ingestFigures: @escaping @Sendable () -> IngestFigures
    ) throws -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        let now: @Sendable () -> UInt64 = { clock.now() }
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: origin)
        router.add(middleware: AccessMiddleware(reviewers: reviewers, signer: signer, now: now))
        DashboardRoutes(store: store, now: now, reviewers: reviewers, signer: signer, renderer: try PageRenderer()).add(to: router)
        router.get("/healthz") { _, _ -> Response in
            Response.json(Array("{\"status\":\"ok\"}".utf8))
        }
        ExceptionRoutes(store: store, now: now).add(to: router)
        DecisionRoutes(store: store, clock: clock).add(to: router)
        router.get("/metrics") { _, _ -> Response in
            let queue = try await store.queueStatistics(now: clock.now())
            let body = PrometheusMetrics.render(queue: queue, ingest: ingestFigures(), notifications: try await store.notificationFigures())
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
            writer.key("notifications")
            NotificationFigures.writeJSON(try await store.notificationFigures(), to: &writer)
            writer.byte(UInt8(ascii: "}"))
            return Response.json(writer.bytes)
        }
        router.get("/api/v1/traces/:trace_id") { request, context -> Response in
            guard let traceID = PathIDs.traceID(context) else {
                throw APIError.badRequest("invalid_trace_id", "a trace id is 32 hex digits and not all zero")
            }
            let page = try TraceWorkflowView.page(limit: request.uri.queryParameters["limit"].map(String.init),
                                                  cursor: request.uri.queryParameters["cursor"].map(String.init))
            guard let workflow = try await store.workflow(containing: traceID) else {
                throw APIError.notFound("no spans stored for trace \(traceID.hex)")
            }
            return Response.json(TraceWorkflowView(requestedTrace: traceID, workflow: workflow, offset: page.offset, limit: page.limit).json())
        }
        router.get("/api/v1/spans/:trace_id/:span_id/path") { _, context -> Response in
            guard let traceID = PathIDs.traceID(context) else {
                throw APIError.badRequest("invalid_trace_id", "a trace id is 32 hex digits and not all zero")
            }
            guard let spanID = PathIDs.spanID(context) else {
                throw APIError.badRequest("invalid_span_id", "a span id is 16 hex digits and not all zero")
            }
            let reference = SpanReference(traceID: traceID, spanID: spanID)
            guard let found = try await store.causalPath(to: reference) else {
                throw APIError.notFound("no span \(spanID.hex) stored in trace \(traceID.hex)")
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
        return router
    }
}
