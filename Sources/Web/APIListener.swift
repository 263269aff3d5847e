import Hummingbird
import Logging
import ServiceLifecycle
import Storage
import TraceModel

/// The query API (and later the dashboard) on `--api`: reads through the store's query methods.
public struct APIListener: Service {
    let application: Application<RouterResponder<BasicRequestContext>>

    /// - Parameter onListening: called once the socket is bound, with the actual host and port.
    public init(host: String, port: Int, store: TraceStore, logger: Logger, onListening: @escaping @Sendable (String, Int) async -> Void) {
        let router = Router()
        Self.addRoutes(to: router, store: store)
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

    static func addRoutes(to router: Router<BasicRequestContext>, store: TraceStore) {
        router.get("/healthz") { _, _ -> Response in
            Response.json(Array("{\"status\":\"ok\"}".utf8))
        }
        router.get("/api/v1/traces/:trace_id") { _, context -> Response in
            let text = context.parameters.get("trace_id") ?? ""
            guard let traceID = TraceID(hex: text), !traceID.isZero else {
                return APIError.badRequest("invalid_trace_id", "a trace id is 32 hex digits and not all zero").response
            }
            let spans = try await store.spans(inTrace: traceID)
            guard !spans.isEmpty else {
                return APIError.notFound("no spans stored for trace \(traceID.hex)").response
            }
            return Response.json(TraceWorkflowView(workflowID: "wf_" + traceID.hex, spans: spans).json())
        }
    }
}
