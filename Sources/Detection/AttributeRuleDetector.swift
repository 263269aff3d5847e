import TraceModel

/// A custom rule from the configuration: each span whose attribute meets the condition counts;
/// the first opens an exception of the rule's class, later ones add occurrences.
public struct AttributeRuleDetector: Detector {
    public let rule: AttributeRule
    public var name: String { "rule:" + rule.name }
    /// Its trigger is the first matching span.
    public var firstFactsRead: Int? { 1 }
    /// Judged again once its workflow settles: its trigger is final then (`CountedPattern`).
    public var settles: Bool { true }

    public init(rule: AttributeRule) {
        self.rule = rule
    }

    public func facts(of span: Span, service: String) -> [String] {
        guard let value = span.attributes[rule.attribute], matches(value) else { return [] }
        return [FactKey.make(service, ToolCall.tool(of: span)?.name ?? "", span.name)]
    }

    func matches(_ value: AttributeValue) -> Bool {
        switch rule.condition {
        case .equals(let expected):
            return value.stringValue == expected
        case .below(let limit):
            return Self.number(value).map { $0 < limit } ?? false
        case .above(let limit):
            return Self.number(value).map { $0 > limit } ?? false
        }
    }

    static func number(_ value: AttributeValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        case .string(let text): Double(text)
        default: nil
        }
    }

    public func evaluate(key: String, in context: some DetectionContext) throws -> Detection? {
        let fields = FactKey.fields(key)
        let dedupeKey = DedupeKey(detector: name, key: key)
        guard fields.count == 3, let pattern = try CountedPattern(key: key, dedupeKey: dedupeKey, limit: 1, in: context) else { return nil }
        let (service, tool, spanName) = (fields[0], fields[1], fields[2])
        let condition = switch rule.condition {
        case .below(let limit): "below \(limit)"
        case .above(let limit): "above \(limit)"
        case .equals(let expected): "= \(expected)"
        }
        return Detection(
            exceptionClass: rule.exceptionClass,
            category: rule.category,
            severity: rule.severity,
            summary: "\(tool.isEmpty ? spanName : tool): \(rule.attribute) \(condition) (rule \(rule.name))",
            trigger: pattern.trigger?.reference,
            dedupeKey: dedupeKey,
            occurrences: pattern.count,
            service: service,
            tool: tool.isEmpty ? nil : tool,
            blocking: rule.blocking,
            triggerStartUnixNano: pattern.trigger?.startTimeUnixNano
        )
    }
}
