import TraceModel

/// A tool call as a model asked for it, read off an LLM span: OpenInference
/// `llm.output_messages.{i}.message.tool_calls.{k}.tool_call.{id,function.name,function.arguments}`
/// or GenAI `gen_ai.output.messages` parts of type `tool_call`. Where a runtime's tool span
/// carries no call id (the OpenAI Agents SDK under OpenInference), the request that matches its
/// tool and arguments names it.
public struct ToolCallRequest: Sendable, Equatable {
    public var callID: String
    public var name: String
    public var arguments: String?
    public var timeUnixNano: UInt64

    public static func requests(in span: Span) -> [ToolCallRequest] {
        var byPrefix: [String: (id: String?, name: String?, arguments: String?)] = [:]
        for attribute in span.attributes where attribute.key.hasPrefix("llm.output_messages.") {
            guard let range = attribute.key.range(of: ".tool_call.") else { continue }
            let prefix = String(attribute.key[..<range.lowerBound])
            let field = attribute.key[range.upperBound...]
            let value = attribute.value.stringValue
            switch field {
            case "id": byPrefix[prefix, default: (nil, nil, nil)].id = value
            case "function.name": byPrefix[prefix, default: (nil, nil, nil)].name = value
            case "function.arguments": byPrefix[prefix, default: (nil, nil, nil)].arguments = value
            default: continue
            }
        }
        var requests = byPrefix.keys.sorted().compactMap { prefix -> ToolCallRequest? in
            let entry = byPrefix[prefix]!
            guard let id = entry.id, let name = entry.name else { return nil }
            return ToolCallRequest(callID: id, name: name, arguments: entry.arguments, timeUnixNano: span.startTimeUnixNano)
        }
        if let text = span.attributes["gen_ai.output.messages"]?.stringValue, text.contains("tool_call"),
           case .array(let messages)? = try? JSONValue.parse(Array(text.utf8), maxDepth: 32) {
            for case .object(let message) in messages {
                guard case .array(let parts)? = message["parts"] else { continue }
                for case .object(let part) in parts {
                    guard case .string("tool_call")? = part["type"], case .string(let id)? = part["id"],
                          case .string(let name)? = part["name"] else { continue }
                    requests.append(ToolCallRequest(callID: id, name: name, arguments: nil, timeUnixNano: span.startTimeUnixNano))
                }
            }
        }
        return requests
    }

    /// The id of the latest request, made before the call started, of the same tool with the
    /// same arguments (or of that tool alone, when only one request names it).
    public static func callID(of call: ToolCall, startingAt start: UInt64, among requests: [ToolCallRequest]) -> String? {
        let earlier = requests.filter { $0.name == call.name && $0.timeUnixNano <= start }
        if let arguments = call.arguments, let match = earlier.last(where: { $0.arguments == arguments }) { return match.callID }
        return earlier.count == 1 ? earlier[0].callID : nil
    }
}
