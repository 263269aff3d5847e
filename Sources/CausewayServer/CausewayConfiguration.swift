import Detection
import Ingest
import Notify
import Web

/// Everything `causeway serve` can be told, with the built-in defaults. The YAML file and
/// the command-line flags only set fields of this tree.
public struct CausewayConfiguration: Sendable, Equatable {
    /// Where the SQLite database lives. YAML `storage.path`; default `./causeway.db`.
    public var databasePath: String
    /// `storage.postgres` (or `--db postgres://…`): serve from this PostgreSQL database instead
    /// of the SQLite file (DESIGN.md §11).
    public var postgresURL: String?
    /// How long a workflow is kept once nothing more arrives in it (unless an exception in it is
    /// open or acknowledged). YAML `storage.retention`; default 30 days.
    public var retentionNanos: UInt64
    /// OTLP/gRPC listener. YAML `listen.otlp_grpc`; default `127.0.0.1:4317`.
    public var otlpGRPC: ListenAddress
    /// OTLP/HTTP listener. YAML `listen.otlp_http`; default `127.0.0.1:4318`.
    public var otlpHTTP: ListenAddress
    /// Query API and dashboard. YAML `listen.api`; default `127.0.0.1:8319`.
    public var api: ListenAddress
    /// TLS for every listener (one certificate). YAML `listen.tls: { cert, key }`; default none.
    public var tls: ListenerTLS?
    /// Host names the API and dashboard answer for besides the listener's own address and
    /// `localhost` (others get 421). YAML `listen.allowed_hosts`; default none.
    public var allowedHosts: [String]
    /// Body size and concurrency limits of the OTLP listeners. YAML `ingest.max_body_bytes`
    /// (default 20 MiB) and `ingest.max_concurrent_exports` (default 64).
    public var ingestLimits: IngestLimits
    /// Timeouts and the connection cap of every listener. YAML `ingest.idle_timeout`,
    /// `ingest.header_timeout`, `ingest.min_body_rate`, `ingest.max_connections`.
    public var connections: ConnectionLimits
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
    /// Tokens OTLP exporters must present. YAML `auth.ingest_tokens`; default none (open ingest).
    public var ingestTokens: [IngestToken]
    /// Serve on a non-loopback address without credentials, on purpose. YAML
    /// `auth.allow_unauthenticated`; default false.
    public var allowUnauthenticated: Bool
    /// Who is told of what happens to exceptions. YAML `notify`; default nobody.
    public var notify: [NotificationTarget]

    public init(
        databasePath: String = "./causeway.db",
        retentionNanos: UInt64 = 30 * 86_400 * 1_000_000_000,
        otlpGRPC: ListenAddress = ListenAddress(host: "127.0.0.1", port: 4317),
        otlpHTTP: ListenAddress = ListenAddress(host: "127.0.0.1", port: 4318),
        api: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8319),
        tls: ListenerTLS? = nil,
        allowedHosts: [String] = [],
        ingestLimits: IngestLimits = .default,
        connections: ConnectionLimits = .default,
        maxQueuedSpans: Int = 65_536,
        detection: DetectionConfiguration = .default,
        correlationAttributes: [String] = [],
        owners: OwnerRouting = .default,
        reviewers: ReviewerDirectory = ReviewerDirectory(),
        ingestTokens: [IngestToken] = [],
        allowUnauthenticated: Bool = false,
        notify: [NotificationTarget] = []
    ) {
        self.notify = notify
        self.reviewers = reviewers
        self.ingestTokens = ingestTokens
        self.connections = connections
        self.allowedHosts = allowedHosts
        self.tls = tls
        self.allowUnauthenticated = allowUnauthenticated
        self.correlationAttributes = correlationAttributes
        self.detection = detection
        self.owners = owners
        self.databasePath = databasePath
        self.retentionNanos = retentionNanos
        self.otlpGRPC = otlpGRPC
        self.otlpHTTP = otlpHTTP
        self.api = api
        self.ingestLimits = ingestLimits
        self.maxQueuedSpans = maxQueuedSpans
    }

    public static let `default` = CausewayConfiguration()

    /// Why `serve` must not start as configured (DESIGN.md §8): an OTLP listener on a non-loopback
    /// address with no ingest tokens, or the API on one with no reviewers, unless
    /// `auth.allow_unauthenticated` says so; nil when it may.
    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public var refusal: String? {
        guard !allowUnauthenticated else { return nil }
        if ingestTokens.isEmpty {
            for (name, address) in [("otlp-grpc", otlpGRPC), ("otlp-http", otlpHTTP)] where !address.isLoopback {
                return "refusing to serve \(name) on \(address), which is not a loopback address, with no auth.ingest_tokens configured; "
                    + "configure ingest tokens, listen on 127.0.0.1, or set auth.allow_unauthenticated: true"
            }
        }
        guard reviewers.isEmpty, !api.isLoopback else { return nil }
        return "refusing to serve the API and dashboard on \(api), which is not a loopback address, with no auth.reviewers configured; "
            + "configure reviewers, listen on 127.0.0.1, or set auth.allow_unauthenticated: true"
    }
}
