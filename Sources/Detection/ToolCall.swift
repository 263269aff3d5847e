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
    public var name: String
    public var callID: String?
    /// The MCP server's side of a call whose client is instrumented too (the span has a parent
    /// and is of kind server): the same call as its client span, so not counted twice.
    public var isMCPServerSide: Bool

    public init?(_ span: Span) {
        let attributes = span.attributes
        let name: String?
        var mcp = false
        if attributes["gen_ai.operation.name"]?.stringValue == "execute_tool" {
            name = attributes["gen_ai.tool.name"]?.stringValue
        } else if attributes["openinference.span.kind"]?.stringValue?.uppercased() == "TOOL" {
            name = attributes["tool.name"]?.stringValue
        } else if attributes["mcp.method.name"]?.stringValue == "tools/call" {
            mcp = true
            name = attributes["gen_ai.tool.name"]?.stringValue ?? attributes["mcp.tool.name"]?.stringValue ?? Self.nameAfterMethod(span.name)
        } else {
            name = nil
        }
        guard let name, !name.isEmpty else { return nil }
        self.name = name
        isMCPServerSide = mcp && span.kind == .server && span.parentSpanID != nil
        if let id = ["gen_ai.tool.call.id", "tool.id", "tool_call.id"].lazy.compactMap({ attributes[$0]?.stringValue }).first(where: { !$0.isEmpty }) {
            callID = id
        } else if mcp, let request = attributes["jsonrpc.request.id"]?.stringValue, !request.isEmpty {
            let session = attributes["mcp.session.id"]?.stringValue ?? ""
            callID = session.isEmpty ? request : "\(session)/\(request)"
        } else {
            callID = ToolOutput(span)?.toolCallID
        }
    }

    /// `tools/call refund` and `MCP send tools/call refund` name the tool after the method.
    static func nameAfterMethod(_ spanName: String) -> String? {
        guard let range = spanName.range(of: "tools/call ") else { return nil }
        let rest = spanName[range.upperBound...].trimmingCharacters(in: .whitespaces)
        return rest.isEmpty ? nil : rest
    }
}
