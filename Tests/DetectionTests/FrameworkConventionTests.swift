import Correlation
import Detection
import TestSupport
import Testing
import TraceModel

/// The conventions of DESIGN.md §6, span shapes as the frameworks emit them (see
/// Tests/Interop/frameworks for the real thing).
@Suite("Framework conventions")
struct FrameworkConventionTests {
    static let t0: UInt64 = 1_700_000_000_000_000_000
    let configuration = DetectionConfiguration(approvalRequiredTools: ["issue_refund"])

    static func exception(_ type: String, _ message: String) -> SpanEvent {
        SpanEvent(name: "exception", attributes: [Attribute("exception.type", .string(type)), Attribute("exception.message", .string(message))])
    }

    static func genAITool(_ name: String, span: UInt64, parent: UInt64? = 1, start: UInt64, callID: String? = nil,
                          extra: [Attribute] = [], events: [SpanEvent] = [], status: SpanStatus = SpanStatus()) -> Span {
        var attributes = [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string(name))]
        if let callID { attributes.append(Attribute("gen_ai.tool.call.id", .string(callID))) }
        return Span.stub(span: .stub(span), parent: parent.map { .stub($0) }, name: "execute_tool \(name)", start: t0 + start * 1_000_000,
                         attributes: attributes + extra, events: events, status: status)
    }

    static func openInferenceTool(_ name: String, span: UInt64, parent: UInt64 = 1, start: UInt64, input: String?, output: String?,
                                  status: SpanStatus = SpanStatus(code: .ok)) -> Span {
        var attributes = [Attribute("openinference.span.kind", .string("TOOL")), Attribute("tool.name", .string(name))]
        if let input { attributes.append(Attribute("input.value", .string(input))) }
        if let output { attributes.append(Attribute("output.value", .string(output))) }
        return Span.stub(span: .stub(span), parent: .stub(parent), name: name, start: t0 + start * 1_000_000, attributes: attributes, status: status)
    }

    static func root(span: UInt64 = 1, start: UInt64 = 0, attributes: [Attribute] = []) -> Span {
        Span.stub(span: .stub(span), name: "agent run", start: t0 + start * 1_000_000, durationNanos: 1_000_000_000, attributes: attributes)
    }

    // MARK: failure typing

    @Test("a wrapper type is typed from the message: a timeout is transient, a named error is itself")
    func wrapperTypes() {
        let typing = configuration.failureTyping
        let retry = Span.stub(events: [Self.exception("pydantic_ai.exceptions.ToolRetryError", "inventory service timed out")],
                              status: SpanStatus(code: .error))
        #expect(Failure(retry, typing: typing)?.type == "timeout")
        let other = Span.stub(attributes: [Attribute("error.type", .string("_OTHER"))],
                              events: [Self.exception("ToolFailedError", "AddressNotFoundError: no such street")], status: SpanStatus(code: .error))
        #expect(Failure(other, typing: typing)?.type == "AddressNotFoundError")
        let agentsSDK = Span.stub(status: SpanStatus(code: .error, message: "Error running tool (non-fatal): {'error': 'upstream rate limit hit'}"))
        #expect(Failure(agentsSDK, typing: typing)?.type == "rate_limited")
        let mcp = Span.stub(attributes: [Attribute("error.type", .string("tool_error"))], status: SpanStatus(code: .error))
        #expect(Failure(mcp, typing: typing)?.type == "tool_error")
        #expect(typing.isGeneric("tool_error"))
        let specific = Span.stub(attributes: [Attribute("error.type", .string("__main__.AddressNotFoundError"))],
                                 status: SpanStatus(code: .error, message: "request timed out"))
        #expect(Failure(specific, typing: typing)?.type == "__main__.AddressNotFoundError")
        // A number inside a word is no status code.
        #expect(typing.transientType(inMessage: "order 4291 not found") == nil)
    }

    @Test("generic_error_types is the configuration's: without ToolRetryError the wrapper is the type")
    func configurableGenericTypes() {
        var configuration = self.configuration
        configuration.genericErrorTypes = []
        let retry = Span.stub(events: [Self.exception("ToolRetryError", "timed out")], status: SpanStatus(code: .error))
        #expect(Failure(retry, typing: configuration.failureTyping)?.type == "ToolRetryError")
    }

    @Test("a handled tool error (OK span, output status error) is a failure, with the call id from the output")
    func handledErrors() throws {
        let output = #"{"type": "tool", "data": {"content": "address not found: 12 Nowhere St", "tool_call_id": "lc_1_1", "status": "error"}}"#
        let span = Self.openInferenceTool("schedule_pickup", span: 2, start: 1, input: "{}", output: output)
        let failure = try #require(Failure(span, typing: configuration.failureTyping))
        #expect(failure.handled)
        #expect(ToolCall(span)?.callID == "lc_1_1")
        let ok = Self.openInferenceTool("schedule_pickup", span: 3, start: 2, input: "{}",
                                        output: #"{"type": "tool", "data": {"content": "done", "tool_call_id": "lc_1_2", "status": "success"}}"#)
        #expect(Failure(ok, typing: configuration.failureTyping) == nil)
        let second = Self.openInferenceTool("schedule_pickup", span: 4, start: 3, input: "{}",
                                            output: output.replacingOccurrences(of: "lc_1_1", with: "lc_1_2"))
        // Known only by its message, the failure may be transient: judged once the workflow is quiet.
        let detection = try #require(detect(RepeatFailureDetector(configuration: configuration), [span, second], settled: true).first)
        #expect(detection.exceptionClass == "repeat_failure")
        #expect(detection.severity == .high)
    }

    @Test("a pause for a human is not a failure: GraphInterrupt, a deferred call")
    func pauses() {
        let interrupt = Span.stub(events: [Self.exception("langgraph.errors.GraphInterrupt", "Interrupt(value=…)")], status: SpanStatus(code: .error))
        #expect(Failure(interrupt) == nil)
        let deferred = Self.genAITool("issue_refund", span: 2, start: 1, callID: "pyd_5_1",
                                      extra: [Attribute("pydantic_ai.tool.deferral.name", .string("ApprovalRequired"))])
        #expect(Failure(deferred) == nil)
        #expect(ToolCall(deferred)?.state == .paused)
    }

    /// The agent retried a call its tool refused until a human approves it: one matter for a
    /// human (`approval_required`, judged on the call), not a repeat failure of the tool as well.
    @Test("a call refused until someone approves it is not a failure: retried, it is no repeat_failure")
    func refusedForApproval() {
        for message in ["needs approval", "Approval required for payments.refund", "awaiting approval from finance"] {
            let refused = Self.genAITool("issue_refund", span: 2, start: 1, callID: "call_1", extra: [], status: SpanStatus(code: .error, message: message))
            #expect(Failure(refused) == nil, "\(message)")
            #expect(RepeatFailureDetector(configuration: DetectionConfiguration()).facts(of: refused, service: "agent").isEmpty)
            #expect(ToolCall(refused)?.state == .failed, "it did not run")
        }
        let declined = Self.genAITool("issue_refund", span: 2, start: 1, callID: "call_1", extra: [], status: SpanStatus(code: .error, message: "card declined"))
        #expect(Failure(declined) != nil)
    }

    @Test("an untyped failure may be transient: twice then success opens nothing; twice and quiet opens; three times opens at once")
    func untypedFailures() throws {
        let detector = RepeatFailureDetector(configuration: configuration)
        let failed = SpanStatus(code: .error)
        let errorType = [Attribute("error.type", .string("tool_error"))]
        let failures = (1...2).map { Self.genAITool("reserve_stock", span: UInt64($0 + 1), start: UInt64($0), extra: errorType, status: failed) }
        let success = Self.genAITool("reserve_stock", span: 9, start: 9)
        #expect(detect(detector, [Self.root()] + failures + [success], settled: true).isEmpty)
        #expect(detect(detector, [Self.root()] + failures, settled: false).isEmpty)
        let settled = try #require(detect(detector, [Self.root()] + failures, settled: true).first)
        #expect(settled.severity == .high)
        #expect(settled.category == .businessRule)
        let third = Self.genAITool("reserve_stock", span: 5, start: 5, extra: errorType, status: failed)
        let transient = try #require(detect(detector, [Self.root()] + failures + [third], settled: false).first)
        #expect(transient.category == .transient)
    }

    // MARK: approvals

    @Test("a gate step under any ancestor counts when it came first; after the call it does not")
    func ancestorGates() {
        let detector = ApprovalRequiredDetector(configuration: configuration)
        let gate = Span.stub(span: .stub(2), parent: .stub(1), name: "approval gate", start: Self.t0 + 1_000_000,
                             attributes: [Attribute("approval.decision", .string("granted"))])
        let step = Span.stub(span: .stub(3), parent: .stub(1), name: "running tools", start: Self.t0 + 2_000_000)
        let call = Self.genAITool("issue_refund", span: 4, parent: 3, start: 3, callID: "c1")
        #expect(detect(detector, [Self.root(), gate, step, call]).isEmpty)
        var late = gate
        late.startTimeUnixNano = Self.t0 + 5_000_000
        #expect(detect(detector, [Self.root(), late, step, call]).first?.severity == .critical)
    }

    @Test("a LangGraph resume decides for the calls under it: approve lets the call through")
    func langGraphResume() throws {
        let detector = ApprovalRequiredDetector(configuration: configuration)
        let approve = Self.root(attributes: [Attribute("input.value", .string(#"{"graph": null, "resume": {"decisions": [{"type": "approve"}]}}"#))])
        let call = Self.openInferenceTool("issue_refund", span: 2, start: 1, input: #"{"order_id": "A-1"}"#,
                                          output: #"{"type": "tool", "data": {"content": "refunded", "tool_call_id": "lc_4_1"}}"#)
        #expect(detect(detector, [approve, call]).isEmpty)
        let reject = Self.root(attributes: [Attribute("input.value", .string(#"{"resume": {"decisions": [{"type": "reject", "message": "no"}]}}"#))])
        #expect(ApprovalDecision.decisions(in: reject).map(\.granted) == [false])
        #expect(detect(detector, [Self.root(), call]).first?.severity == .critical)
    }

    @Test("a call paused and later run is a call a human let through; paused and the run went on, it was rejected")
    func pausedCalls() throws {
        let detector = ApprovalRequiredDetector(configuration: configuration)
        let arguments = #"{"order_id": "A-1004", "amount": 40.0}"#
        let paused = Self.openInferenceTool("issue_refund", span: 2, start: 1, input: arguments, output: nil)
        let resumed = Self.openInferenceTool("issue_refund", span: 3, start: 10, input: arguments, output: "refunded 40.00")
        #expect(ToolCall(paused)?.state == .paused)
        #expect(detect(detector, [Self.root(), paused, resumed], settled: true).isEmpty)
        // Another call of the tool (other arguments) was not let through.
        let other = Self.openInferenceTool("issue_refund", span: 4, start: 11, input: #"{"order_id": "B-9", "amount": 1.0}"#, output: "refunded")
        #expect(detect(detector, [Self.root(), paused, resumed, other]).first?.severity == .critical)
        // Paused, then the run went on without it: rejected.
        let nextTurn = Span.stub(span: .stub(5), parent: .stub(1), name: "generation", start: Self.t0 + 20_000_000)
        #expect(detect(detector, [Self.root(), paused, nextTurn], settled: true).isEmpty)
        // Paused and nothing since: waiting, once the workflow is quiet.
        #expect(detect(detector, [Self.root(), paused], settled: false).isEmpty)
        let waiting = try #require(detect(detector, [Self.root(), paused], settled: true).first)
        #expect(waiting.severity == .high)
        #expect(waiting.summary.contains("waiting"))
    }

    @Test("pydantic-ai's deferred requests in a run's result are paused calls; the same call id run later is approved")
    func deferredRequests() {
        let detector = ApprovalRequiredDetector(configuration: configuration)
        let result = #"{"calls": [], "approvals": [{"tool_name": "issue_refund", "args": {"order_id": "ORD-4"}, "tool_call_id": "pyd_4_1"}]}"#
        let firstRun = Self.root(attributes: [Attribute("gen_ai.operation.name", .string("invoke_agent")), Attribute("final_result", .string(result))])
        #expect(ToolCall.pausedCalls(in: firstRun) == [ToolCall(name: "issue_refund", callID: "pyd_4_1", arguments: nil, state: .paused)])
        var secondRun = Self.root(span: 10, start: 50)
        secondRun.traceID = .stub(2)
        var call = Self.genAITool("issue_refund", span: 11, parent: 10, start: 51, callID: "pyd_4_1")
        call.traceID = .stub(2)
        #expect(detect(detector, [firstRun, secondRun, call]).isEmpty)
        var unrelated = Self.genAITool("issue_refund", span: 12, parent: 10, start: 52, callID: "pyd_9_9")
        unrelated.traceID = .stub(2)
        #expect(detect(detector, [firstRun, secondRun, call, unrelated]).first?.severity == .critical)
    }

    @Test("an MCP call seen by client and server is one call; an elicitation during it is the human's decision")
    func mcpPairing() throws {
        let client = Span.stub(span: .stub(2), parent: .stub(1), name: "MCP send tools/call issue_refund", kind: .client, start: Self.t0 + 1_000_000,
                               attributes: [Attribute("mcp.method.name", .string("tools/call")), Attribute("jsonrpc.request.id", .int(3))])
        let server = Span.stub(span: .stub(3), parent: .stub(2), name: "tools/call issue_refund", kind: .server, start: Self.t0 + 2_000_000,
                               attributes: [Attribute("mcp.method.name", .string("tools/call")), Attribute("jsonrpc.request.id", .int(3)),
                                            Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string("issue_refund"))])
        let clientCall = try #require(ToolCall(client))
        let serverCall = try #require(ToolCall(server))
        #expect(clientCall.name == "issue_refund")
        #expect(clientCall.callID == "3")
        #expect(serverCall.callID == "3")
        #expect(serverCall.isMCPServerSide)
        let detector = ApprovalRequiredDetector(configuration: configuration)
        #expect(detector.facts(of: server, service: "mcp-server").isEmpty)
        let unapproved = detect(detector, [Self.root(), client, server])
        #expect(unapproved.count == 1)
        #expect(unapproved.first?.trigger == SpanReference(client))
        let elicitation = Span.stub(span: .stub(4), parent: .stub(3), name: "MCP send elicitation/create", kind: .client,
                                    start: Self.t0 + 3_000_000, attributes: [Attribute("mcp.method.name", .string("elicitation/create"))])
        #expect(detect(detector, [Self.root(), client, server, elicitation]).isEmpty)
    }

    @Test("a tool span with no call id is named by the model's request with the same tool and arguments")
    func callIDFromRequests() {
        let arguments = #"{"order_id": "A-1003", "amount": 40.0}"#
        let generation = Span.stub(span: .stub(5), parent: .stub(1), name: "generation", start: Self.t0 + 1_000_000, attributes: [
            Attribute("openinference.span.kind", .string("LLM")),
            Attribute("llm.output_messages.0.message.tool_calls.0.tool_call.id", .string("oai_3_1")),
            Attribute("llm.output_messages.0.message.tool_calls.0.tool_call.function.name", .string("issue_refund")),
            Attribute("llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments", .string(arguments)),
            Attribute("llm.output_messages.0.message.tool_calls.1.tool_call.id", .string("oai_3_2")),
            Attribute("llm.output_messages.0.message.tool_calls.1.tool_call.function.name", .string("issue_refund")),
            Attribute("llm.output_messages.0.message.tool_calls.1.tool_call.function.arguments", .string("{}")),
        ])
        let requests = ToolCallRequest.requests(in: generation)
        #expect(requests.map(\.callID) == ["oai_3_1", "oai_3_2"])
        let tool = Self.openInferenceTool("issue_refund", span: 6, start: 2, input: arguments, output: "refunded")
        let call = ToolCall(tool)!
        #expect(call.callID == nil)
        #expect(ToolCallRequest.callID(of: call, startingAt: tool.startTimeUnixNano, among: requests) == "oai_3_1")
        let genAI = Span.stub(attributes: [Attribute("gen_ai.output.messages", .string(
            #"[{"role":"assistant","parts":[{"type":"tool_call","id":"pyd_4_1","name":"issue_refund","arguments":{}}]}]"#))])
        #expect(ToolCallRequest.requests(in: genAI).map(\.callID) == ["pyd_4_1"])
    }
}
