import Detection

/// What the writer reads off each span besides its columns: the detectors' facts, whether it
/// failed (so its parent's failure counts as a wrapper), and its correlation attribute values.
public struct FactPlan: Sendable {
    public var detectors: [any Detector]
    /// How failures are typed; nil when nothing is detected.
    public var failureTyping: FailureTyping?
    /// `stitch.correlation_attributes`: traces sharing a value of one of these join one workflow.
    public var correlationAttributes: [String]
    /// Detectors whose facts are only counted once their pattern is filed (`needsEveryFact` false).
    public var countedOnceFiled: Set<String>

    public init(detection: DetectionConfiguration, correlationAttributes: [String] = []) {
        detectors = detection.detectors
        countedOnceFiled = Set(detectors.filter { !$0.needsEveryFact }.map(\.name))
        failureTyping = detection.enabled ? detection.failureTyping : nil
        self.correlationAttributes = correlationAttributes
    }

    init(detectors: [any Detector], failureTyping: FailureTyping?, correlationAttributes: [String]) {
        self.detectors = detectors
        self.failureTyping = failureTyping
        self.correlationAttributes = correlationAttributes
        countedOnceFiled = []
    }

    /// Columns only.
    static let none = FactPlan(detectors: [], failureTyping: nil, correlationAttributes: [])
}
