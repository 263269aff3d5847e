import TraceModel

/// An approval recorded on a span: a span event `approval.granted` / `approval.denied`
/// (attribute `approval.approver`), or the span's own `approval.decision = granted|denied`.
/// Where it names `gen_ai.tool.call.id` or `gen_ai.tool.name`, it is only for that call or tool.
///
/// Frameworks' own ways count too: a LangGraph run resumed with
/// `{"resume": {"decisions": [{"type": "approve"|"reject"}]}}` in its `input.value` (LangChain's
/// `HumanInTheLoopMiddleware`) decides for the calls under it, and an MCP `elicitation/create`
/// request made during a call asked the human about that very call.
public struct ApprovalDecision: Sendable, Equatable {
    /// Which calls a decision speaks for.
    public enum Scope: Sendable, Equatable {
        /// Calls under the span or after it under an ancestor (DESIGN.md §2).
        case following
        /// The call the span was made inside (an MCP elicitation during the call).
        case enclosingCall
    }

    public var granted: Bool
    public var timeUnixNano: UInt64
    /// Recorded as a span attribute (it speaks for the whole span) rather than an event.
    public var onSpan: Bool
    public var toolCallID: String?
    public var toolName: String?
    public var approver: String?
    public var scope: Scope = .following

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
            let names = ToolCall.tool(of: span) == nil
            decisions.append(ApprovalDecision(
                granted: decision == "granted", timeUnixNano: span.startTimeUnixNano, onSpan: true,
                toolCallID: names ? span.attributes["gen_ai.tool.call.id"]?.stringValue : nil,
                toolName: names ? span.attributes["gen_ai.tool.name"]?.stringValue : nil,
                approver: span.attributes["approval.approver"]?.stringValue))
        }
        if let granted = resumeDecision(span) {
            decisions.append(ApprovalDecision(granted: granted, timeUnixNano: span.startTimeUnixNano, onSpan: true))
        }
        if span.attributes["mcp.method.name"]?.stringValue == "elicitation/create" {
            decisions.append(ApprovalDecision(granted: true, timeUnixNano: span.startTimeUnixNano, onSpan: true, scope: .enclosingCall))
        }
        return decisions
    }

    /// A LangGraph resume's decisions: granted when every one approves (or edits), nil when the
    /// span's input is no resume.
    static func resumeDecision(_ span: Span) -> Bool? {
        guard let text = span.attributes["input.value"]?.stringValue, text.first == "{", text.contains("\"resume\""),
              case .object(let input)? = try? JSONValue.parse(Array(text.utf8), maxDepth: 32),
              case .object(let resume)? = input["resume"], case .array(let decisions)? = resume["decisions"],
              !decisions.isEmpty else { return nil }
        return decisions.allSatisfy { decision in
            guard case .object(let members) = decision, case .string(let type)? = members["type"] else { return false }
            return type == "approve" || type == "edit"
        }
    }

    /// Whether it names this call (or names nothing).
    func applies(to call: ToolCall) -> Bool {
        (toolCallID == nil || toolCallID == call.callID) && (toolName == nil || toolName == call.name)
    }
}
