import TraceModel

/// An approval recorded on a span: a span event `approval.granted` / `approval.denied`
/// (attribute `approval.approver`), or the span's own `approval.decision = granted|denied`.
/// Where it names `gen_ai.tool.call.id` or `gen_ai.tool.name`, it is only for that call or tool.
public struct ApprovalDecision: Sendable, Equatable {
    public var granted: Bool
    public var timeUnixNano: UInt64
    /// Recorded as a span attribute (it speaks for the whole span) rather than an event.
    public var onSpan: Bool
    public var toolCallID: String?
    public var toolName: String?
    public var approver: String?

    public static func decisions(in span: Span) -> [ApprovalDecision] {
        var decisions: [ApprovalDecision] = []
        for event in span.events where event.name == "approval.granted" || event.name == "approval.denied" {
            decisions.append(ApprovalDecision(
                granted: event.name == "approval.granted", timeUnixNano: event.timeUnixNano, onSpan: false,
                toolCallID: event.attributes["gen_ai.tool.call.id"]?.stringValue, toolName: event.attributes["gen_ai.tool.name"]?.stringValue,
                approver: event.attributes["approval.approver"]?.stringValue))
        }
        if let decision = span.attributes["approval.decision"]?.stringValue?.lowercased(), decision == "granted" || decision == "denied" {
            // On a gate step the tool attributes name what is approved; on a tool call they name the call itself.
            let names = ToolCall(span) == nil
            decisions.append(ApprovalDecision(
                granted: decision == "granted", timeUnixNano: span.startTimeUnixNano, onSpan: true,
                toolCallID: names ? span.attributes["gen_ai.tool.call.id"]?.stringValue : nil,
                toolName: names ? span.attributes["gen_ai.tool.name"]?.stringValue : nil,
                approver: span.attributes["approval.approver"]?.stringValue))
        }
        return decisions
    }

    /// Whether it names this call (or names nothing).
    func applies(to call: ToolCall) -> Bool {
        (toolCallID == nil || toolCallID == call.callID) && (toolName == nil || toolName == call.name)
    }
}
