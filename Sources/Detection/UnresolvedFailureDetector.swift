import Correlation
import TraceModel

/// `unresolved_failure`: a span recorded an `exception` event with status ERROR, and no later
/// successful attempt of the same operation (a span of the same name and service — for a tool
/// call, calling the same tool — that did not fail) came before the workflow went quiet.
/// Judged only once the workflow has settled; successes are looked up then, not recorded as facts.
/// A failure whose signature already has an open `repeat_failure` is folded into that item.
public struct UnresolvedFailureDetector: Detector {
    public let configuration: DetectionConfiguration
    public var name: String { "unresolved_failure" }
    public var settles: Bool { true }
    public var countsFailures: Bool { true }
    public var resolvesWhenGone: Bool { true }

    /// The signatures an unresolved failure folds into (and how failures are typed).
    let repeated: RepeatFailureDetector
    var typing: FailureTyping { repeated.typing }

    public init(configuration: DetectionConfiguration = .default) {
        self.configuration = configuration
        repeated = RepeatFailureDetector(configuration: configuration)
    }

    public func facts(of span: Span, service: String) -> [String] {
        guard span.status.code == .error, span.events.contains(where: { $0.name == "exception" }),
              Failure(span, typing: typing) != nil else { return [] }
        return [FactKey.make(service, span.name, ToolCall.tool(of: span)?.name ?? "")]
    }

    public func evaluate(key: String, in context: some DetectionContext) throws -> Detection? {
        let fields = FactKey.fields(key)
        guard context.settled, fields.count == 3 else { return nil }
        let (service, spanName, tool) = (fields[0], fields[1], fields[2])
        var failures: [CausalNode] = []
        for failure in try context.facts(key) {
            if let node = try context.node(failure.reference) { failures.append(node) }
        }
        // A failure recovered when a later attempt succeeded: one read of the attempts after the
        // first failure serves them all (per failure, a workflow with many made it quadratic).
        guard let first = failures.min(by: { $0.span.startTimeUnixNano < $1.span.startTimeUnixNano }) else { return nil }
        let lastSuccess = try context.lastSuccess(like: first, startingAfter: first.span.startTimeUnixNano, typing: typing)
        let unresolved = failures.filter { failure in lastSuccess.map { $0 <= failure.span.startTimeUnixNano } ?? true }
        guard let trigger = unresolved.last else { return nil }
        let type = Failure(trigger.span, typing: typing)?.type ?? "error"
        let operation = tool.isEmpty ? spanName : tool
        let foldsInto = try repeated.dedupeKey(of: trigger.span, service: service).flatMap { try context.isActive($0) ? $0 : nil }
        return Detection(
            exceptionClass: name,
            category: .businessRule,
            severity: .high,
            summary: "\(operation) failed with \(type) and no later attempt succeeded before the workflow went quiet",
            trigger: trigger.reference,
            dedupeKey: DedupeKey(detector: name, key: key),
            occurrences: unresolved.count,
            service: service,
            tool: tool.isEmpty ? nil : tool,
            foldsInto: foldsInto
        )
    }
}
