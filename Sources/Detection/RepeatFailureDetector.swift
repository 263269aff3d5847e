import TraceModel

/// `repeat_failure`: the same failure (service, tool or span name, failure type) `max_attempts`
/// times in one workflow for a transient type, `non_transient_max_attempts` times for any other.
/// A failure that recovers within its bounds opens nothing.
public struct RepeatFailureDetector: Detector {
    public let configuration: DetectionConfiguration
    public var name: String { "repeat_failure" }

    public init(configuration: DetectionConfiguration) {
        self.configuration = configuration
    }

    public func facts(of span: Span, service: String) -> [String] {
        guard let failure = Failure(span) else { return [] }
        let tool = ToolCall(span)?.name
        return [FactKey.make(service, tool ?? span.name, failure.type, tool == nil ? "span" : "tool")]
    }

    public func evaluate(key: String, in context: some DetectionContext) throws -> Detection? {
        let facts = try context.facts(key)
        let fields = FactKey.fields(key)
        guard fields.count == 4 else { return nil }
        let (service, operation, type, isTool) = (fields[0], fields[1], fields[2], fields[3] == "tool")
        let transient = configuration.isTransient(type)
        let limit = max(1, transient ? configuration.maxAttempts : configuration.nonTransientMaxAttempts)
        guard facts.count >= limit else { return nil }
        return Detection(
            exceptionClass: name,
            category: transient ? .transient : .businessRule,
            severity: transient ? .normal : .high,
            summary: transient
                ? "\(operation) failed \(facts.count) times with \(type) in one workflow"
                : "\(operation) failed \(facts.count) times with \(type) in one workflow: a retry cannot fix it",
            trigger: facts[limit - 1].reference,
            dedupeKey: name + "\u{1F}" + key,
            occurrences: facts.count - limit + 1,
            service: service,
            tool: isTool ? operation : nil
        )
    }
}
