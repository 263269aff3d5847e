import Correlation
import Detection

/// What the writer reads off each span besides its columns: the detectors' facts and its
/// correlation attribute values.
public struct FactPlan: Sendable {
    public var detectors: [any Detector]
    /// `stitch.correlation_attributes`: traces sharing a value of one of these join one workflow.
    public var correlationAttributes: [String]
    /// Counting patterns (`Detector.firstFactsRead`): how many of a key's first facts each reads.
    public var firstFactsRead: [String: Int]
    /// Detectors whose facts are failures (`countsFailures`): a span with one failed, so its
    /// parent's failure is a wrapper of it.
    public var failureDetectors: Set<String>

    public init(detection: DetectionConfiguration, correlationAttributes: [String] = []) {
        self.init(detectors: detection.detectors, correlationAttributes: correlationAttributes)
    }

    init(detectors: [any Detector], correlationAttributes: [String]) {
        self.detectors = detectors
        self.correlationAttributes = correlationAttributes
        firstFactsRead = Dictionary(detectors.compactMap { detector in detector.firstFactsRead.map { (detector.name, $0) } }) { first, _ in first }
        failureDetectors = Set(detectors.filter(\.countsFailures).map(\.name))
    }

    /// The spans a pattern's facts (in start order) count towards its receipts: of a counting
    /// pattern its first `n`, the ones its trigger is read from and every store keeps; else all.
    func receipts(of facts: [FactOccurrence], detector: String) -> [SpanReference] {
        facts.prefix(firstFactsRead[detector] ?? facts.count).map(\.reference)
    }

    /// Columns only.
    static let none = FactPlan(detectors: [], correlationAttributes: [])
}
