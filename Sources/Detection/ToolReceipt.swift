import Correlation
import TraceModel

/// A tool call that bears on an exception: an attempt counted by its pattern or a call on its causal path.
public struct ToolReceipt: Sendable, Equatable {
    public var reference: SpanReference
    public var tool: String
    public var callID: String?
    /// The call's arguments as recorded, when its span has them.
    public var arguments: String?
    public var failed: Bool
    public var errorType: String?
    public var startTimeUnixNano: UInt64

    public init(reference: SpanReference, tool: String, callID: String?, arguments: String?, failed: Bool, errorType: String?,
                startTimeUnixNano: UInt64) {
        self.reference = reference
        self.tool = tool
        self.callID = callID
        self.arguments = arguments
        self.failed = failed
        self.errorType = errorType
        self.startTimeUnixNano = startTimeUnixNano
    }

    /// The receipts of the tool calls among `references` (each span once), by start time. A call
    /// whose span carries no call id is named from the model's requests in its trace
    /// (`ToolCallRequest`), read through `spansOfTrace`.
    public static func receipts(of references: [SpanReference], in lookup: some SpanLookup, typing: FailureTyping,
                                spansOfTrace: (TraceID) throws -> [Span]) throws -> [ToolReceipt] {
        var seen: Set<SpanReference> = []
        var receipts: [ToolReceipt] = []
        for reference in references where seen.insert(reference).inserted {
            guard let node = try lookup.node(reference), let call = ToolCall(node.span) else { continue }
            let failure = Failure(node.span, typing: typing)
            receipts.append(ToolReceipt(reference: reference, tool: call.name, callID: call.callID, arguments: call.arguments,
                                        failed: failure != nil, errorType: failure?.type, startTimeUnixNano: node.span.startTimeUnixNano))
        }
        receipts.sort { ($0.startTimeUnixNano, $0.reference) < ($1.startTimeUnixNano, $1.reference) }
        var requestsByTrace: [TraceID: [ToolCallRequest]] = [:]
        for index in receipts.indices where receipts[index].callID == nil {
            let trace = receipts[index].reference.traceID
            if requestsByTrace[trace] == nil {
                requestsByTrace[trace] = try spansOfTrace(trace).flatMap(ToolCallRequest.requests(in:))
            }
            let call = ToolCall(name: receipts[index].tool, callID: nil, arguments: receipts[index].arguments, state: .ran)
            receipts[index].callID = ToolCallRequest.callID(of: call, startingAt: receipts[index].startTimeUnixNano, among: requestsByTrace[trace] ?? [])
        }
        return receipts
    }
}
