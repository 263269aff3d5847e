import Detection

/// What the writer reads off each span besides its columns: the detectors' facts, whether it
/// failed (so its parent's failure counts as a wrapper), and its correlation attribute values.
public struct FactPlan: Sendable {
    public var detectors: [any Detector]
    /// How failures are typed; nil when nothing is detected.
    public var failureTyping: FailureTyping?
    /// `stitch.correlation_attributes`: traces sharing a value of one of these join one workflow.
    public var correlationAttributes: [String]

    public init(detection: DetectionConfiguration, correlationAttributes: [String] = []) {
        detectors = detection.detectors
        failureTyping = detection.enabled ? detection.failureTyping : nil
        self.correlationAttributes = correlationAttributes
    }

    init(detectors: [any Detector], failureTyping: FailureTyping?, correlationAttributes: [String]) {
        self.detectors = detectors
        self.failureTyping = failureTyping
        self.correlationAttributes = correlationAttributes
    }

    /// Columns only.
    static let none = FactPlan(detectors: [], failureTyping: nil, correlationAttributes: [])
}
