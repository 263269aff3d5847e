import TraceModel

/// `stale_connector_data`: a connector read older than its max age, for the
/// `stale_reads_before_escalation`-th time (default 2nd) in one workflow.
public struct StaleConnectorDataDetector: Detector {
    public let configuration: DetectionConfiguration
    public var name: String { "stale_connector_data" }
    /// Its trigger is the `stale_reads_before_escalation`-th read.
    public var firstFactsRead: Int? { limit }
    var limit: Int { max(1, configuration.staleReadsBeforeEscalation) }
    /// Judged again once its workflow settles: its trigger is final then (`CountedPattern`).
    public var settles: Bool { true }

    public init(configuration: DetectionConfiguration) {
        self.configuration = configuration
    }

    public func maxAge(of connector: String) -> UInt64 {
        configuration.maxDataAgeByConnector[connector] ?? configuration.maxDataAgeNanos
    }

    public func facts(of span: Span, service: String) -> [String] {
        guard let read = ConnectorRead(span), read.ageNanos > maxAge(of: read.connector) else { return [] }
        return [FactKey.make(read.connector, service, ToolCall.tool(of: span)?.name ?? "")]
    }

    public func evaluate(key: String, in context: some DetectionContext) throws -> Detection? {
        let fields = FactKey.fields(key)
        guard fields.count == 3 else { return nil }
        let (connector, service, tool) = (fields[0], fields[1], fields[2])
        let dedupeKey = DedupeKey(detector: name, key: key)
        guard let pattern = try CountedPattern(key: key, dedupeKey: dedupeKey, limit: limit, in: context) else { return nil }
        return Detection(
            exceptionClass: name,
            category: .dataIntegrity,
            severity: .high,
            summary: "\(connector) returned data older than \(Self.describe(maxAge(of: connector))) on \(pattern.count) reads in one workflow",
            trigger: pattern.trigger?.reference,
            dedupeKey: dedupeKey,
            occurrences: pattern.count - limit + 1,
            service: service,
            tool: tool.isEmpty ? nil : tool,
            triggerStartUnixNano: pattern.trigger?.startTimeUnixNano
        )
    }

    /// `15m`, `1h`, `90s`.
    static func describe(_ nanos: UInt64) -> String {
        let seconds = nanos / 1_000_000_000
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
