import Detection
import Ingest
import Notify
import Web

/// Everything `causeway serve` can be told, with the built-in defaults. The YAML file and
/// the command-line flags only set fields of this tree.
public struct CausewayConfiguration: Sendable, Equatable {
    /// Where the SQLite database lives. YAML `storage.path`; default `./causeway.db`.
    public var databasePath: String
    /// OTLP/gRPC listener. YAML `listen.otlp_grpc`; default `127.0.0.1:4317`.
    public var otlpGRPC: ListenAddress
    /// OTLP/HTTP listener. YAML `listen.otlp_http`; default `127.0.0.1:4318`.
    public var otlpHTTP: ListenAddress
    /// Query API and dashboard. YAML `listen.api`; default `127.0.0.1:8319`.
    public var api: ListenAddress
    /// Body size and concurrency limits of the OTLP listeners. YAML `ingest.max_body_bytes`
    /// (default 20 MiB) and `ingest.max_concurrent_exports` (default 64).
    public var ingestLimits: IngestLimits
    /// Spans queued for the writer before new requests are refused (503). YAML
    /// `ingest.max_queued_spans`; default 65,536.
    public var maxQueuedSpans: Int
    /// What the detectors look for. YAML `detect`; defaults in `DetectionConfiguration.default`.
    public var detection: DetectionConfiguration
    /// Span attributes whose shared value joins traces into one workflow, for runtimes that
    /// export no links. YAML `stitch.correlation_attributes`; default none.
    public var correlationAttributes: [String]
    /// Who owns what is detected. YAML `owners` (first match wins); default: everything to
    /// `ops-triage` with a 24 h SLA.
    public var owners: OwnerRouting
    /// Who may use the API and dashboard. YAML `auth.reviewers`; default none (open, actor `local`).
    public var reviewers: ReviewerDirectory
    /// Serve on a non-loopback address without credentials, on purpose. YAML
    /// `auth.allow_unauthenticated`; default false.
    public var allowUnauthenticated: Bool
    /// Who is told of what happens to exceptions. YAML `notify`; default nobody.
    public var notify: [NotificationTarget]

    public init(
        databasePath: String = "./causeway.db",
        otlpGRPC: ListenAddress = ListenAddress(host: "127.0.0.1", port: 4317),
        otlpHTTP: ListenAddress = ListenAddress(host: "127.0.0.1", port: 4318),
        api: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8319),
        ingestLimits: IngestLimits = .default,
        maxQueuedSpans: Int = 65_536,
        detection: DetectionConfiguration = .default,
        correlationAttributes: [String] = [],
        owners: OwnerRouting = .default,
        reviewers: ReviewerDirectory = ReviewerDirectory(),
        allowUnauthenticated: Bool = false,
        notify: [NotificationTarget] = []
    ) {
        self.notify = notify
        self.reviewers = reviewers
        self.allowUnauthenticated = allowUnauthenticated
        self.correlationAttributes = correlationAttributes
        self.detection = detection
        self.owners = owners
        self.databasePath = databasePath
        self.otlpGRPC = otlpGRPC
        self.otlpHTTP = otlpHTTP
        self.api = api
        self.ingestLimits = ingestLimits
        self.maxQueuedSpans = maxQueuedSpans
    }

    public static let `default` = CausewayConfiguration()

    /// Why `serve` must not start as configured (DESIGN.md §8): the API on a non-loopback address
    /// with no reviewers, unless `auth.allow_unauthenticated` says so; nil when it may.
    public var refusal: String? {
        guard !allowUnauthenticated, reviewers.isEmpty, !api.isLoopback else { return nil }
        return "refusing to serve the API and dashboard on \(api), which is not a loopback address, with no auth.reviewers configured; "
            + "configure reviewers, listen on 127.0.0.1, or set auth.allow_unauthenticated: true"
    }
}
