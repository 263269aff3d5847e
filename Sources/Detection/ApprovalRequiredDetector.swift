import Correlation
import TraceModel

/// `approval_required`: a tool call that needs approval (`detect.approval.required_tools`, or the
/// span's own `tool.approval.required = true`) with no granted approval that counts for it: one
/// recorded on the call's own span, or before the call started on an ancestor (across links, along
/// the causal path) or an earlier sibling. The latest decision that counts wins. Critical when the
/// call ran anyway (status not ERROR), high when it did not. A call is judged once its causal path
/// is whole (the ancestors that could carry the approval have arrived), or when its workflow settles.
public struct ApprovalRequiredDetector: Detector {
    public let configuration: DetectionConfiguration
    public var name: String { "approval_required" }
    public var judgesOnEveryRound: Bool { true }
    public var settles: Bool { true }
    static let approvalKey = "approval"

    public init(configuration: DetectionConfiguration) {
        self.configuration = configuration
    }

    func requiresApproval(_ span: Span, _ call: ToolCall) -> Bool {
        if span.attributes["tool.approval.required"]?.stringValue?.lowercased() == "true" { return true }
        return configuration.approvalRequiredTools.contains { Glob.matches($0, call.name) }
    }

    public func facts(of span: Span, service: String) -> [String] {
        var keys: [String] = []
        if let call = ToolCall(span), requiresApproval(span, call) { keys.append(FactKey.make("call", service, call.name)) }
        if !ApprovalDecision.decisions(in: span).isEmpty { keys.append(Self.approvalKey) }
        return keys
    }

    public func keysToJudge(touched key: String, in context: some DetectionContext) throws -> [String] {
        key == Self.approvalKey ? try context.keys().filter { $0 != Self.approvalKey } : [key]
    }

    public func evaluate(key: String, in context: some DetectionContext) throws -> Detection? {
        let fields = FactKey.fields(key)
        guard fields.count == 3, fields[0] == "call" else { return nil }
        let (service, tool) = (fields[1], fields[2])
        let approvals = try context.facts(Self.approvalKey).compactMap { try context.node($0.reference) }
        var unapproved: [(reference: SpanReference, ran: Bool)] = []
        for fact in try context.facts(key) {
            guard let node = try context.node(fact.reference), let call = ToolCall(node.span),
                  let path = try CausalPath.to(fact.reference, in: context) else { continue }
            let whole = path.hops.first?.node != nil
            guard whole || context.settled else { continue }   // an ancestor may still bring the approval
            if !approved(node.span, call, path: path, approvals: approvals) {
                unapproved.append((fact.reference, node.span.status.code != .error))
            }
        }
        guard let first = unapproved.first else { return nil }
        let ran = unapproved.contains { $0.ran }
        return Detection(
            exceptionClass: name,
            category: .policy,
            severity: ran ? .critical : .high,
            summary: ran ? "\(tool) ran without an approval" : "\(tool) was called without an approval (it did not run)",
            trigger: first.reference,
            dedupeKey: name + "\u{1F}" + key,
            occurrences: unapproved.count,
            service: service,
            tool: tool
        )
    }

    /// Whether the latest decision that counts for this call granted it.
    func approved(_ span: Span, _ call: ToolCall, path: CausalPath, approvals: [CausalNode]) -> Bool {
        let ancestors = Set(path.hops.dropLast().map(\.reference))
        var latest: ApprovalDecision?
        for approval in approvals {
            let reference = approval.reference
            let isOwn = reference == SpanReference(span)
            let isAncestor = ancestors.contains(reference)
            // A gate step: an earlier span under the call's parent or under any other ancestor
            // (frameworks nest the call 2–4 levels under the run that holds the gate).
            let isEarlierGate = !isOwn && approval.span.parentSpanID.map {
                ancestors.contains(SpanReference(traceID: approval.span.traceID, spanID: $0))
            } == true && approval.span.startTimeUnixNano <= span.startTimeUnixNano
            guard isOwn || isAncestor || isEarlierGate else { continue }
            for decision in ApprovalDecision.decisions(in: approval.span) where decision.applies(to: call) {
                // On an ancestor or a sibling an event must come before the call started.
                if !isOwn, !decision.onSpan, decision.timeUnixNano > span.startTimeUnixNano { continue }
                if latest == nil || decision.timeUnixNano >= latest!.timeUnixNano { latest = decision }
            }
        }
        return latest?.granted == true
    }
}
