import Correlation
import TraceModel

/// One exception pattern. Detectors are evaluated incrementally: each new span is turned into
/// facts once, as it is stored; the pattern is then judged from the facts of one key in one
/// workflow, never by rescanning spans.
public protocol Detector: Sendable {
    /// Names this detector's facts in storage (`repeat_failure`, `rule:low-confidence`).
    var name: String { get }
    /// The keys this span counts towards (empty for most spans).
    func facts(of span: Span, service: String) -> [String]
    /// What every fact of `key` in one workflow amounts to (facts ordered by start time, then
    /// id), or nil while the pattern is incomplete.
    func evaluate(key: String, facts: [FactOccurrence]) -> Detection?
}

/// One stored fact: the span it came from and when that span started.
public struct FactOccurrence: Sendable, Equatable {
    public var reference: SpanReference
    public var startTimeUnixNano: UInt64

    public init(reference: SpanReference, startTimeUnixNano: UInt64) {
        self.reference = reference
        self.startTimeUnixNano = startTimeUnixNano
    }
}

/// Fields of a fact key, joined by the unit separator (which span data cannot smuggle in: it is
/// replaced).
enum FactKey {
    static let separator: Character = "\u{1F}"

    static func make(_ fields: String...) -> String {
        fields.map { $0.replacingOccurrences(of: String(separator), with: " ") }.joined(separator: String(separator))
    }

    static func fields(_ key: String) -> [String] {
        key.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}

extension DetectionConfiguration {
    /// Every detector this configuration asks for, built-in patterns first.
    public var detectors: [any Detector] {
        [RepeatFailureDetector(configuration: self), StaleConnectorDataDetector(configuration: self)]
            + rules.map { AttributeRuleDetector(rule: $0) }
    }
}
