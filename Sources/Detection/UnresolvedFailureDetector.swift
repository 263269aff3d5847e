import Correlation
import TraceModel

/// `unresolved_failure`: a span recorded an `exception` event with status ERROR, and no later
/// successful attempt of the same operation (tool, else span name, in the same service) came
/// before the workflow went quiet. Judged only once the workflow has settled. A success is a
/// tool call whose status is not ERROR, or any span with status OK.
public struct UnresolvedFailureDetector: Detector {
    public var name: String { "unresolved_failure" }
    public var settles: Bool { true }

    public init() {}

    public func facts(of span: Span, service: String) -> [String] {
        let tool = ToolCall(span)?.name
        let operation = tool ?? span.name
        if span.status.code == .error, span.events.contains(where: { $0.name == "exception" }) {
            return [FactKey.make("failed", service, operation)]
        }
        if (tool != nil && span.status.code != .error) || span.status.code == .ok {
            return [FactKey.make("ok", service, operation)]
        }
        return []
    }

    public func keysToJudge(touched key: String, in context: some DetectionContext) throws -> [String] {
        let fields = FactKey.fields(key)
        guard fields.count == 3 else { return [] }
        return [FactKey.make("failed", fields[1], fields[2])]
    }

    public func evaluate(key: String, in context: some DetectionContext) throws -> Detection? {
        let fields = FactKey.fields(key)
        guard context.settled, fields.count == 3, fields[0] == "failed" else { return nil }
        let (service, operation) = (fields[1], fields[2])
        let successes = try context.facts(FactKey.make("ok", service, operation))
        let unresolved = try context.facts(key).filter { failure in
            !successes.contains { $0.startTimeUnixNano > failure.startTimeUnixNano }
        }
        guard let trigger = unresolved.last else { return nil }
        let node = try context.node(trigger.reference)
        let type = node.flatMap { Failure($0.span)?.type } ?? "error"
        let isTool = node.flatMap { ToolCall($0.span) } != nil
        return Detection(
            exceptionClass: name,
            category: .businessRule,
            severity: .high,
            summary: "\(operation) failed with \(type) and no later attempt succeeded before the workflow went quiet",
            trigger: trigger.reference,
            dedupeKey: name + "\u{1F}" + key,
            occurrences: unresolved.count,
            service: service,
            tool: isTool ? operation : nil
        )
    }
}
