import TraceModel

/// `repeat_failure`: the same failure (service, tool or span name, failure type) `max_attempts`
/// times in one workflow for a transient type, `non_transient_max_attempts` times for any other.
/// A failure that recovers within its bounds opens nothing.
///
/// A failure known only by a wrapper type (`generic_error_types`, nothing in its message) may
/// still be transient: it fires at `max_attempts`, or at `non_transient_max_attempts` once the
/// workflow has settled with no later success of the same operation.
public struct RepeatFailureDetector: Detector {
    public let configuration: DetectionConfiguration
    public var name: String { "repeat_failure" }
    public var countsFailures: Bool { true }
    public var settles: Bool { true }

    /// How failures are typed (built once: every failed span asks).
    let typing: FailureTyping

    public init(configuration: DetectionConfiguration) {
        self.configuration = configuration
        typing = configuration.failureTyping
    }

    public func facts(of span: Span, service: String) -> [String] {
        guard let failure = Failure(span, typing: typing) else { return [] }
        return [key(of: span, failure: failure, service: service)]
    }

    /// The failure signature: service, tool (or span name), failure type.
    func key(of span: Span, failure: Failure, service: String) -> String {
        let tool = ToolCall.tool(of: span)?.name
        return FactKey.make(service, tool ?? span.name, failure.type, tool == nil ? "span" : "tool")
    }

    /// The dedupe key of the exception this span's failure counts towards.
    public func dedupeKey(of span: Span, service: String) -> DedupeKey? {
        Failure(span, typing: typing).map { DedupeKey(detector: name, key: key(of: span, failure: $0, service: service)) }
    }

    public func evaluate(key: String, in context: some DetectionContext) throws -> Detection? {
        let fields = FactKey.fields(key)
        guard fields.count == 4 else { return nil }
        let (service, operation, type, isTool) = (fields[0], fields[1], fields[2], fields[3] == "tool")
        let transientLimit = max(1, configuration.maxAttempts)
        let nonTransientLimit = max(1, configuration.nonTransientMaxAttempts)
        var transient = typing.isTransient(type)
        var limit = transient ? transientLimit : nonTransientLimit
        let dedupeKey = DedupeKey(detector: name, key: key)
        if !transient, typing.isGeneric(type), nonTransientLimit < transientLimit {
            // Untyped: transient until the workflow settles without recovering.
            let count = try context.count(key)
            if count >= transientLimit {
                transient = true
                limit = transientLimit
            } else if try count < nonTransientLimit || !(context.isFiled(dedupeKey) || settledUnrecovered(key, in: context)) {
                return nil
            }
        }
        guard let pattern = try CountedPattern(key: key, dedupeKey: dedupeKey, limit: limit, in: context) else { return nil }
        return Detection(
            exceptionClass: name,
            category: transient ? .transient : .businessRule,
            severity: transient ? .normal : .high,
            summary: transient
                ? "\(operation) failed \(pattern.count) times with \(type) in one workflow"
                : "\(operation) failed \(pattern.count) times with \(type) in one workflow: a retry cannot fix it",
            trigger: pattern.trigger?.reference,
            dedupeKey: dedupeKey,
            occurrences: pattern.count - limit + 1,
            service: service,
            tool: isTool ? operation : nil,
            triggerStartUnixNano: pattern.trigger?.startTimeUnixNano
        )
    }

    /// The workflow has settled and no span like the last failure succeeded after it.
    func settledUnrecovered(_ key: String, in context: some DetectionContext) throws -> Bool {
        guard context.settled, let last = try context.facts(key).last, let failed = try context.node(last.reference) else { return false }
        return try !context.recovered(after: failed, typing: typing)
    }
}
