import TraceModel

/// A failed span and its type. A span failed when its status is ERROR, or when it is a tool call
/// whose output says it handled an error (an OpenInference TOOL span with status OK whose
/// `output.value` JSON says `"status": "error"`, as LangChain's `ToolMessage` does). A pause for a
/// human (LangGraph `GraphInterrupt`, a deferred call, a call refused until someone approves it)
/// is not a failure.
///
/// The type is the first specific one of `error.type` and the `exception` events'
/// `exception.type`; a wrapper type (`generic_error_types`) says nothing, so the type then comes
/// from the message (exception message, status description, handled output): a transient type it
/// speaks of ("timed out" → `timeout`), else a type it starts with (`KeyError: …`), else the wrapper.
public struct Failure: Sendable, Equatable {
    public var type: String
    /// The span's status is OK: the tool reported the error in its output.
    public var handled: Bool
    /// What the failure said (status description, exception message or handled output).
    public var message: String

    public init?(_ span: Span, typing: FailureTyping = .default) {
        // Most spans neither failed nor are tool calls reporting an error: answer them at once.
        guard span.status.code == .error || ToolCall.isToolKind(span.attributes["openinference.span.kind"]) else { return nil }
        let exceptions = span.events.filter { $0.name == "exception" }
        var types: [String] = []
        if let type = span.attributes["error.type"]?.stringValue, !type.isEmpty { types.append(type) }
        for event in exceptions {
            if let type = event.attributes["exception.type"]?.stringValue, !type.isEmpty { types.append(type) }
        }
        if types.contains(where: Self.isPause) || span.attributes["pydantic_ai.tool.deferral.name"] != nil { return nil }
        var messages: [String] = []
        if span.status.code == .error {
            handled = false
        } else if let output = ToolOutput(span), output.reportsError {
            handled = true
            messages.append(output.content ?? "")
        } else {
            return nil
        }
        if !span.status.message.isEmpty { messages.append(span.status.message) }
        for event in exceptions {
            if let message = event.attributes["exception.message"]?.stringValue, !message.isEmpty { messages.append(message) }
        }
        // A call refused because it waits for a human's approval did not fail: `approval_required`
        // pulls the human in, and its retries are not a repeat failure of the tool.
        if messages.contains(where: Self.waitsForApproval) { return nil }
        message = messages.first { !$0.isEmpty } ?? ""
        if let specific = types.first(where: { !typing.isGeneric($0) }) {
            type = specific
        } else if let transient = messages.lazy.compactMap(typing.transientType(inMessage:)).first {
            type = transient
        } else if let named = messages.lazy.compactMap(FailureTyping.leadingType).first(where: { !typing.isGeneric($0) }) {
            type = named
        } else {
            type = types.first ?? "error"
        }
    }

    /// A message saying the call waits for a human's approval ("needs approval", "approval
    /// required", "awaiting approval", …).
    static func waitsForApproval(_ message: String) -> Bool {
        let text = message.lowercased()
        return ["approval required", "approval is required", "needs approval", "need approval", "requires approval", "require approval",
                "awaiting approval", "pending approval", "waiting for approval"].contains { text.contains($0) }
    }

    /// Exception types that mark a pause for a human, not a failure.
    static func isPause(_ type: String) -> Bool {
        let last = type.split(separator: ".").last.map(String.init) ?? type
        return ["GraphInterrupt", "NodeInterrupt", "Interrupt", "ApprovalRequired", "CallDeferred"].contains(last)
    }
}
