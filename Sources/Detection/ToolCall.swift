import TraceModel

/// A tool call, recognised in the conventions agents use: OpenTelemetry GenAI
/// (`gen_ai.operation.name = execute_tool`), OpenInference (`openinference.span.kind = TOOL`)
/// and MCP (`mcp.method.name = tools/call`, the tool named by `gen_ai.tool.name`,
/// `mcp.tool.name` or only the span name `tools/call {name}`).
///
/// The call id is `gen_ai.tool.call.id`, `tool.id`, `tool_call.id`, the `tool_call_id` of an
/// OpenInference output, or for MCP the JSON-RPC request id (`jsonrpc.request.id`, within
/// `mcp.session.id` where present): one call seen by an MCP client and its server has one id.
public struct ToolCall: Sendable, Equatable {
    /// Whether the call ran.
    public enum State: Sendable, Equatable {
        case ran
        /// Status ERROR: it did not (or not wholly) run.
        case failed
        /// Paused for a human and not run: a deferred call (`pydantic_ai.tool.deferral.name`, a
        /// run's `final_result` listing it under `approvals`), or an OpenInference TOOL span with
        /// an input and no output (the OpenAI Agents SDK's interrupted call).
        case paused
    }

    public var name: String
    public var callID: String?
    /// The arguments as recorded (`gen_ai.tool.call.arguments` or the TOOL span's `input.value`).
    public var arguments: String?
    public var state: State
    /// The MCP server's side of a call whose client is instrumented too (the span has a parent
    /// and is of kind server): the same call as its client span, so not counted twice.
    public var isMCPServerSide: Bool

    public init(name: String, callID: String?, arguments: String?, state: State, isMCPServerSide: Bool = false) {
        self.name = name
        self.callID = callID
        self.arguments = arguments
        self.state = state
        self.isMCPServerSide = isMCPServerSide
    }

    /// The tool a span calls, and how it says so; nil for a span that is no tool call. Cheap:
    /// every span of every request asks it.
    public static func tool(of span: Span) -> (name: String, convention: Convention)? {
        let attributes = span.attributes
        let name: String?
        let convention: Convention
        if attributes["gen_ai.operation.name"]?.stringValue == "execute_tool" {
            name = attributes["gen_ai.tool.name"]?.stringValue
            convention = attributes["mcp.method.name"]?.stringValue == "tools/call" ? .mcp : .genAI
        } else if isToolKind(attributes["openinference.span.kind"]) {
            name = attributes["tool.name"]?.stringValue
            convention = .openInference
        } else if attributes["mcp.method.name"]?.stringValue == "tools/call" {
            name = attributes["gen_ai.tool.name"]?.stringValue ?? attributes["mcp.tool.name"]?.stringValue ?? Self.nameAfterMethod(span.name)
            convention = .mcp
        } else {
            return nil
        }
        guard let name, !name.isEmpty else { return nil }
        return (name, convention)
    }

    /// The conventions a tool call is recognised in.
    public enum Convention: Sendable, Equatable {
        case genAI, openInference, mcp
    }

    /// `openinference.span.kind` is `TOOL` (any case), without allocating.
    static func isToolKind(_ value: AttributeValue?) -> Bool {
        guard case .string(let kind)? = value, kind.utf8.count == 4 else { return false }
        return kind == "TOOL" || kind.lowercased() == "tool"
    }

    public init?(_ span: Span) {
        guard let (name, convention) = Self.tool(of: span) else { return nil }
        let attributes = span.attributes
        let mcp = convention == .mcp
        let openInference = convention == .openInference
        self.name = name
        isMCPServerSide = mcp && span.kind == .server && span.parentSpanID != nil
        arguments = attributes["gen_ai.tool.call.arguments"]?.stringValue ?? (openInference ? attributes["input.value"]?.stringValue : nil)
        if let id = ["gen_ai.tool.call.id", "tool.id", "tool_call.id"].lazy.compactMap({ attributes[$0]?.stringValue }).first(where: { !$0.isEmpty }) {
            callID = id
        } else if mcp, let request = attributes["jsonrpc.request.id"]?.stringValue, !request.isEmpty {
            let session = attributes["mcp.session.id"]?.stringValue ?? ""
            callID = session.isEmpty ? request : "\(session)/\(request)"
        } else {
            callID = ToolOutput(span)?.toolCallID
        }
        if span.status.code == .error {
            state = .failed
        } else if attributes["pydantic_ai.tool.deferral.name"] != nil
            || openInference && attributes["input.value"] != nil && attributes["output.value"] == nil {
            state = .paused
        } else {
            state = .ran
        }
    }

    /// Who the call is across spans and traces: its id, else its tool and arguments (the same
    /// call paused and later resumed carries both unchanged).
    public var identity: String { callID ?? "\(name)(\(arguments ?? ""))" }

    /// The calls a run lists as waiting for approval in its result (pydantic-ai's
    /// `DeferredToolRequests`: `final_result` = `{"calls": […], "approvals": [{"tool_name", "tool_call_id", "args"}]}`).
    public static func pausedCalls(in span: Span) -> [ToolCall] {
        guard let text = span.attributes["final_result"]?.stringValue, text.first == "{", text.contains("\"approvals\""),
              case .object(let result)? = try? JSONValue.parse(Array(text.utf8), maxDepth: 32),
              case .array(let approvals)? = result["approvals"] else { return [] }
        return approvals.compactMap { entry in
            guard case .object(let members) = entry, case .string(let name)? = members["tool_name"] else { return nil }
            var callID: String?
            if case .string(let id)? = members["tool_call_id"] { callID = id }
            return ToolCall(name: name, callID: callID, arguments: nil, state: .paused)
        }
    }

    /// `tools/call refund` and `MCP send tools/call refund` name the tool after the method.
    static func nameAfterMethod(_ spanName: String) -> String? {
        guard let range = spanName.range(of: "tools/call ") else { return nil }
        let rest = spanName[range.upperBound...].trimmingCharacters(in: .whitespaces)
        return rest.isEmpty ? nil : rest
    }
}
