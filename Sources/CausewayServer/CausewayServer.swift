import Ingest
import Logging
import NIOSSL
import Notify
import ServiceLifecycle
import Storage
import Web

/// Causeway wired together: the writer, the OTLP listeners and the API as Services of one
/// ServiceGroup, so SIGTERM/SIGINT stops them all in reverse order: listeners stop taking
/// requests and finish the ones in flight, then the writer commits what was accepted.
public final class CausewayServer: Sendable {
    /// A listener and the address it actually bound.
    public struct BoundListener: Sendable, Equatable {
        public var name: String
        public var address: ListenAddress
    }

    public let configuration: CausewayConfiguration
    public let store: any CausewayStore
    public let writer: SpanWriter
    public let exportHandler: ExportHandler
    private let group: ServiceGroup
    private let logger: Logger

    /// Opens the database and builds the services; `onListening` is called once every listener is bound.
    public init(
        configuration: CausewayConfiguration,
        logger: Logger,
        handleSignals: Bool = true,
        clock: any WallClock = SystemClock(),
        onListening: @escaping @Sendable ([BoundListener]) -> Void = { _ in }
    ) throws {
        self.configuration = configuration
        let detection = DetectionSetup(detection: configuration.detection, owners: configuration.owners,
                                       correlationAttributes: configuration.correlationAttributes,
                                       notifications: Self.notificationPlan(configuration.notify))
        // The store's own services: listed first, they stop after the writer has committed.
        let storeServices: [any Service]
        if let url = configuration.postgresURL {
            let postgres: PostgresStore
            do {
                postgres = try PostgresStore(url: url, logger: logger, detection: detection)
            } catch {
                throw ConfigurationError("storage.postgres: \(error)")
            }
            store = postgres
            writer = SpanWriter(store: postgres, maxQueuedSpans: configuration.maxQueuedSpans, clock: clock, logger: logger)
            storeServices = [PostgresPool(store: postgres),
                             RetentionSweeper(store: postgres, clock: clock, retentionNanos: configuration.retentionNanos, logger: logger)]
        } else {
            let sqlite = try TraceStore(path: configuration.databasePath, detection: detection)
            store = sqlite
            writer = SpanWriter(store: sqlite, maxQueuedSpans: configuration.maxQueuedSpans, clock: clock, logger: logger)
            storeServices = [WALCheckpointer(store: sqlite, clock: clock, logger: logger),
                             RetentionSweeper(store: sqlite, clock: clock, retentionNanos: configuration.retentionNanos, logger: logger)]
        }
        self.logger = logger
        let settleTimer = SettleTimer(store: store, clock: clock, logger: logger)
        let dispatcher = NotificationDispatcher(store: store, targets: configuration.notify, clock: clock, logger: logger)
        exportHandler = ExportHandler(
            sink: WriterSink(writer: writer, retryAfterSeconds: configuration.ingestLimits.retryAfterSeconds),
            limits: configuration.ingestLimits,
            tokens: configuration.ingestTokens,
            logger: logger
        )
        let tls: TLSConfiguration?
        do {
            tls = try configuration.tls?.serverConfiguration()
        } catch {
            throw ConfigurationError(error.message)
        }
        let announcer = ListenerAnnouncer(expected: ["otlp-grpc", "otlp-http", "api"]) { listeners in
            onListening(listeners.map { BoundListener(name: $0.name, address: $0.address) })
        }
        let grpc = OTLPGRPCListener(
            host: configuration.otlpGRPC.host, port: configuration.otlpGRPC.port,
            handler: exportHandler, connections: configuration.connections, tls: configuration.tls, logger: logger
        ) { host, port in announcer.bound("otlp-grpc", host: host, port: port) }
        let http = OTLPHTTPListener(
            host: configuration.otlpHTTP.host, port: configuration.otlpHTTP.port,
            handler: exportHandler, connections: configuration.connections, tls: tls, logger: logger
        ) { host, port in announcer.bound("otlp-http", host: host, port: port) }
        let api = try APIListener(
            host: configuration.api.host, port: configuration.api.port, store: store, clock: clock, reviewers: configuration.reviewers,
            connections: configuration.connections, tls: tls, allowedHosts: configuration.allowedHosts, ingestFigures: { [writer, exportHandler] in
                let ingest = exportHandler.statistics
                let written = writer.statistics
                var figures = IngestFigures(
                    requestsAccepted: ingest.requestsAccepted, requestsRefused: ingest.requestsRefused,
                    spansAccepted: ingest.spansAccepted, spansRejected: ingest.spansRejected,
                    spansWritten: written.spansWritten, spansDuplicate: written.spansDuplicate, queuedSpans: writer.queuedSpans,
                    transactions: written.transactions, writingSeconds: written.writingSeconds, stitchingSeconds: written.stitchingSeconds,
                    lagSeconds: writer.lagSeconds, exceptionsOpened: written.exceptionsOpened,
                    detectionSeconds: written.detectionSeconds)
                figures.unauthenticated = ingest.unauthenticated
                figures.refusedOverBudget = ingest.overBudget
                figures.inflightBytes = exportHandler.budget.inUse
                figures.attributeValuesTruncated = ingest.attributeValuesTruncated
                figures.spansOverTraceCap = ingest.spansOverTraceCap
                return figures
            },
            logger: logger
        ) { host, port in announcer.bound("api", host: host, port: port) }

        var groupConfiguration = ServiceGroupConfiguration(
            services: storeServices.map { .init(service: $0) } + [
                .init(service: writer),
                .init(service: settleTimer),
                .init(service: dispatcher),
                .init(service: grpc),
                .init(service: http),
                .init(service: api),
            ],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            cancellationSignals: [],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
        group = ServiceGroup(configuration: groupConfiguration)
    }

    /// The store's side of `notify`: which events go where, and their bodies in each entry's format.
    static func notificationPlan(_ targets: [NotificationTarget]) -> NotificationPlan {
        let byName = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return NotificationPlan(routes: targets.map(\.route)) { name, event, exception, deliveryID, at in
            switch byName[name]?.format ?? .json {
            case .json: NotificationBody.json(event: event, deliveryID: deliveryID, atUnixNano: at, exception: exception)
            case .slack: NotificationBody.slack(event: event, atUnixNano: at, exception: exception, dashboard: byName[name]?.dashboardURL ?? "")
            }
        }
    }

    /// Runs until a signal or `shutdown()`; returns after everything accepted is committed. On
    /// PostgreSQL it first creates or migrates the schema (safe with several instances starting).
    public func run() async throws {
        if let url = configuration.postgresURL {
            try await PostgresStore.migrate(url: url, logger: logger)
        }
        try await group.run()
    }

    /// Starts the graceful shutdown `run()` would do on SIGTERM.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}
