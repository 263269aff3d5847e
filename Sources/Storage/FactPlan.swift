import Detection

/// What the writer reads off each span besides its columns: the detectors' facts and its
/// correlation attribute values.
public struct FactPlan: Sendable {
    public var detectors: [any Detector]
    /// `stitch.correlation_attributes`: traces sharing a value of one of these join one workflow.
    public var correlationAttributes: [String]
    /// Detectors whose facts are only counted once their pattern is filed (`needsEveryFact` false).
    public var countedOnceFiled: Set<String>
    /// Detectors whose facts are failures (`countsFailures`): a span with one failed, so its
    /// parent's failure is a wrapper of it.
    public var failureDetectors: Set<String>

    public init(detection: DetectionConfiguration, correlationAttributes: [String] = []) {
        self.init(detectors: detection.detectors, correlationAttributes: correlationAttributes)
    }

    init(detectors: [any Detector], correlationAttributes: [String]) {
        self.detectors = detectors
        self.correlationAttributes = correlationAttributes
        countedOnceFiled = Set(detectors.filter { !$0.needsEveryFact }.map(\.name))
        failureDetectors = Set(detectors.filter(\.countsFailures).map(\.name))
    }

    /// Columns only.
    static let none = FactPlan(detectors: [], correlationAttributes: [])
}
