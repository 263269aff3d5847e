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

    /// How failures are typed (built once: every failed span asks).
    let typing: FailureTyping

    public init(configuration: DetectionConfiguration = .default) {
        self.configuration = configuration
        typing = configuration.failureTyping
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
        var unresolved: [FactOccurrence] = []
        for failure in try context.facts(key) {
            let recovered = try context.spans(named: spanName, startingAfter: failure.startTimeUnixNano).contains { node in
                node.service == service && Failure(node.span, typing: typing) == nil && (ToolCall.tool(of: node.span)?.name ?? "") == tool
            }
            if !recovered { unresolved.append(failure) }
        }
        guard let trigger = unresolved.last else { return nil }
        let span = try context.node(trigger.reference)?.span
        let type = span.flatMap { Failure($0, typing: typing)?.type } ?? "error"
        let operation = tool.isEmpty ? spanName : tool
        let repeated = try span.flatMap { RepeatFailureDetector(configuration: configuration).dedupeKey(of: $0, service: service) }
            .flatMap { try context.isActive($0) ? $0 : nil }
        return Detection(
            exceptionClass: name,
            category: .businessRule,
            severity: .high,
            summary: "\(operation) failed with \(type) and no later attempt succeeded before the workflow went quiet",
            trigger: trigger.reference,
            dedupeKey: Detection.dedupeKey(detector: name, key: key),
            occurrences: unresolved.count,
            service: service,
            tool: tool.isEmpty ? nil : tool,
            foldsInto: repeated
        )
    }
}
