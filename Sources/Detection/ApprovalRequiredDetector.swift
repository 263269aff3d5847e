import Correlation
import TraceModel

/// `approval_required`: a tool call that needs approval (`detect.approval.required_tools`, or the
/// span's own `tool.approval.required = true`) with no granted approval that counts for it.
///
/// An approval counts when it is recorded on the call's own span, or before the call started on
/// an ancestor (across links, along the causal path) or on an earlier gate step under any
/// ancestor; the latest decision that counts wins. A framework's own approval counts too
/// (`ApprovalDecision`), and so does a pause: the same call (id, else tool and arguments) seen
/// first paused and later run is a call a human let through. A paused call that never ran opens
/// nothing once its run went on (the human decided: it was rejected) or when a denial names it;
/// with no decision by the time the workflow settles it is *waiting* (high).
///
/// Critical when a call ran without approval, high when none ran. A call is judged once its
/// causal path is whole (the ancestors that could carry the approval have arrived), or when
/// its workflow settles. An MCP server's side of a call is the client's call, counted once.
public struct ApprovalRequiredDetector: Detector {
    public let configuration: DetectionConfiguration
    public var name: String { "approval_required" }
    public var judgesOnEveryRound: Bool { true }
    public var settles: Bool { true }
    static let approvalKey = "approval"

    public init(configuration: DetectionConfiguration) {
        self.configuration = configuration
    }

    func requiresApproval(_ span: Span, _ tool: String) -> Bool {
        if let flag = span.attributes["tool.approval.required"]?.stringValue, flag.lowercased() == "true" { return true }
        return configuration.approvalRequiredTools.contains { Glob.matches($0, tool) }
    }

    /// The approval-required calls a span records: itself, or the calls its run left paused.
    func calls(in span: Span) -> [ToolCall] {
        if let tool = ToolCall.tool(of: span) {
            guard requiresApproval(span, tool.name), let call = ToolCall(span), !call.isMCPServerSide else { return [] }
            return [call]
        }
        return ToolCall.pausedCalls(in: span).filter { requiresApproval(span, $0.name) }
    }

    public func facts(of span: Span, service: String) -> [String] {
        var keys = Set(calls(in: span).map { FactKey.make("call", service, $0.name) }).sorted()
        if !ApprovalDecision.decisions(in: span).isEmpty { keys.append(Self.approvalKey) }
        return keys
    }

    public func keysToJudge(touched key: String, in context: some DetectionContext) throws -> [String] {
        key == Self.approvalKey ? try context.keys().filter { $0 != Self.approvalKey } : [key]
    }

    /// One call as judged: where it was recorded and what it is.
    struct Record {
        var reference: SpanReference
        var span: Span
        var call: ToolCall
        var path: CausalPath
    }

    public func evaluate(key: String, in context: some DetectionContext) throws -> Detection? {
        let fields = FactKey.fields(key)
        guard fields.count == 3, fields[0] == "call" else { return nil }
        let (service, tool) = (fields[1], fields[2])
        if try context.reviewerApproved(tool: tool) { return nil }
        let approvals = try context.facts(Self.approvalKey).compactMap { try context.node($0.reference) }
        var records: [Record] = []
        for fact in try context.facts(key) {
            guard let node = try context.node(fact.reference), let path = try CausalPath.to(fact.reference, in: context) else { continue }
            let whole = path.hops.first?.node != nil
            guard whole || context.settled else { continue }   // an ancestor may still bring the approval
            for call in calls(in: node.span) where call.name == tool {
                records.append(Record(reference: fact.reference, span: node.span, call: call, path: path))
            }
        }
        var unapproved: [(reference: SpanReference, ran: Bool, callID: String?)] = []
        var waiting: [(reference: SpanReference, callID: String?)] = []
        var counted: [SpanReference] = []
        for record in records {
            let decision = try latestDecision(for: record, approvals: approvals, in: context)
            switch record.call.state {
            case .ran, .failed:
                if decision == true { continue }
                let resumed = records.contains {
                    $0.call.state == .paused && $0.call.identity == record.call.identity && $0.span.startTimeUnixNano <= record.span.startTimeUnixNano
                }
                if resumed { continue }
                unapproved.append((record.reference, record.call.state == .ran, record.call.callID))
                counted.append(record.reference)
            case .paused:
                if records.contains(where: { $0.call.state != .paused && $0.call.identity == record.call.identity }) { continue }
                if decision == false { continue }
                if try context.hasSpans(startingAfter: record.span.endTimeUnixNano) { continue }   // the run went on: decided
                if context.settled {
                    waiting.append((record.reference, record.call.callID))
                    counted.append(record.reference)
                }
            }
        }
        let ran = unapproved.contains { $0.ran }
        guard let first = unapproved.first.map({ ($0.reference, $0.callID) }) ?? waiting.first else { return nil }
        let summary = ran ? "\(tool) ran without an approval"
            : unapproved.isEmpty ? "\(tool) is waiting for an approval (the run paused and nobody decided)"
            : "\(tool) was called without an approval (it did not run)"
        var detection = Detection(
            exceptionClass: name,
            category: .policy,
            severity: ran ? .critical : .high,
            summary: summary,
            trigger: first.reference,
            dedupeKey: DedupeKey(detector: name, key: key),
            occurrences: unapproved.count + waiting.count,
            service: service,
            tool: tool,
            callID: first.callID
        )
        detection.occurrenceSpans = counted
        return detection
    }

    /// The latest decision that counts for this call: true granted, false denied, nil none.
    func latestDecision(for record: Record, approvals: [CausalNode], in context: some DetectionContext) throws -> Bool? {
        let span = record.span
        let own = SpanReference(span)
        let ancestors = Set(record.path.hops.dropLast().map(\.reference))
        var latest: ApprovalDecision?
        for approval in approvals {
            let reference = approval.reference
            let isOwn = reference == own
            let isAncestor = ancestors.contains(reference)
            // A gate step: an earlier span under the call's parent or under any other ancestor
            // (frameworks nest the call 2–4 levels under the run that holds the gate).
            let isEarlierGate = !isOwn && approval.span.parentSpanID.map {
                ancestors.contains(SpanReference(traceID: approval.span.traceID, spanID: $0))
            } == true && approval.span.startTimeUnixNano <= span.startTimeUnixNano
            for decision in ApprovalDecision.decisions(in: approval.span) where decision.applies(to: record.call) {
                switch decision.scope {
                case .following:
                    guard isOwn || isAncestor || isEarlierGate else { continue }
                    // On an ancestor or a gate an event must come before the call started.
                    if !isOwn, !decision.onSpan, decision.timeUnixNano > span.startTimeUnixNano { continue }
                case .enclosingCall:
                    guard try Self.isDescendant(approval.span, of: own, in: context) else { continue }
                }
                if latest == nil || decision.timeUnixNano >= latest!.timeUnixNano { latest = decision }
            }
        }
        return latest?.granted
    }

    /// Whether `span` lies under `ancestor` in its trace (walking parents that have arrived).
    static func isDescendant(_ span: Span, of ancestor: SpanReference, in lookup: some SpanLookup) throws -> Bool {
        guard span.traceID == ancestor.traceID else { return false }
        var parent = span.parentSpanID
        var steps = 0
        while let id = parent, steps < 64 {
            if id == ancestor.spanID { return true }
            parent = try lookup.node(SpanReference(traceID: span.traceID, spanID: id))?.span.parentSpanID
            steps += 1
        }
        return false
    }
}
