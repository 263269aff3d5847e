/// What every listener (OTLP and API) allows a connection: slow or idle clients are closed,
/// and a cap bounds how many are open at once (DESIGN.md §1).
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no request in progress is closed after this. YAML
    /// `ingest.idle_timeout`; default 60 s.
    public var idleTimeout: Duration
    /// A request's headers must arrive within this of its first byte. YAML
    /// `ingest.header_timeout`; default 10 s.
    public var headerTimeout: Duration
    /// A body must keep this many bytes a second, measured over each `headerTimeout` window.
    /// YAML `ingest.min_body_rate`; default 1,024.
    public var minBodyBytesPerSecond: Int
    /// Connections open at once on one listener; past it new ones wait and a line is logged.
    /// YAML `ingest.max_connections`; default 1,000.
    public var maxConnections: Int

    public init(idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10),
                minBodyBytesPerSecond: Int = 1024, maxConnections: Int = 1000) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.minBodyBytesPerSecond = minBodyBytesPerSecond
        self.maxConnections = maxConnections
    }

    public static let `default` = ConnectionLimits()
}
