import TraceModel

/// A tool call, recognised in the three conventions agents use: OpenTelemetry GenAI
/// (`gen_ai.operation.name = execute_tool`), OpenInference (`openinference.span.kind = TOOL`)
/// and MCP (`mcp.method.name = tools/call`).
public struct ToolCall: Sendable, Equatable {
    public var name: String
    public var callID: String?

    public init?(_ span: Span) {
        let attributes = span.attributes
        let name: String?
        if attributes["gen_ai.operation.name"]?.stringValue == "execute_tool" {
            name = attributes["gen_ai.tool.name"]?.stringValue
        } else if attributes["openinference.span.kind"]?.stringValue?.uppercased() == "TOOL" {
            name = attributes["tool.name"]?.stringValue
        } else if attributes["mcp.method.name"]?.stringValue == "tools/call" {
            name = attributes["gen_ai.tool.name"]?.stringValue
        } else {
            name = nil
        }
        guard let name, !name.isEmpty else { return nil }
        self.name = name
        callID = attributes["gen_ai.tool.call.id"]?.stringValue
    }
}
