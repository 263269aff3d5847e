import TraceModel

/// What an OpenInference TOOL span's `output.value` JSON says of the call: LangChain writes the
/// `ToolMessage` there, with its `tool_call_id` and `"status": "error"` when the tool's error was
/// handled (the span itself stays OK). Looked for in the object itself, its `kwargs` (LangChain's
/// serialised forms) and its `data`, `update.messages` (a LangGraph `Command`).
struct ToolOutput {
    var status: String?
    var toolCallID: String?
    var content: String?

    init?(_ span: Span) {
        guard ToolCall.isToolKind(span.attributes["openinference.span.kind"]),
              let text = span.attributes["output.value"]?.stringValue, text.first == "{",
              text.contains("tool_call_id") || text.contains("\"status\""),
              let value = try? JSONValue.parse(Array(text.utf8), maxDepth: 32) else { return nil }
        guard let message = Self.message(in: value, depth: 0) else { return nil }
        status = message["status"].flatMap(Self.string)
        toolCallID = message["tool_call_id"].flatMap(Self.string)
        content = message["content"].flatMap(Self.string)
        guard status != nil || toolCallID != nil else { return nil }
    }

    var reportsError: Bool { status?.lowercased() == "error" }

    static func message(in value: JSONValue, depth: Int) -> [String: JSONValue]? {
        guard depth < 4 else { return nil }
        switch value {
        case .object(let members):
            if members["tool_call_id"] != nil || members["status"] != nil && members["content"] != nil { return members }
            for key in ["data", "kwargs", "update", "output"] {
                if let inner = members[key], let found = message(in: inner, depth: depth + 1) { return found }
            }
            if let messages = members["messages"] { return message(in: messages, depth: depth + 1) }
            return nil
        case .array(let elements):
            for element in elements.reversed() {
                if let found = message(in: element, depth: depth + 1) { return found }
            }
            return nil
        default:
            return nil
        }
    }

    static func string(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .number(let text): text
        default: nil
        }
    }
}
