import Correlation
import Detection
import TestSupport
import Testing
import TraceModel

@Suite("approval_required and unresolved_failure")
struct ApprovalAndUnresolvedTests {
    static let configuration = DetectionConfiguration(approvalRequiredTools: ["payments.*", "email.send"])
    let detector = ApprovalRequiredDetector(configuration: Self.configuration)
    static let t0: UInt64 = 1_700_000_000_000_000_000

    static func refund(span: UInt64 = 3, parent: UInt64? = 1, trace: TraceID = .stub(1), start: UInt64 = 10, ran: Bool = true,
                       callID: String = "call_1", convention: String = "genai", extra: [Attribute] = []) -> Span {
        var call = Tool.call("payments.issue_refund", convention: convention, span: span, start: start,
                             error: ran ? nil : "denied_by_gateway", extra: [Attribute("gen_ai.tool.call.id", .string(callID))] + extra)
        call.traceID = trace
        call.parentSpanID = parent.map { .stub($0) }
        return call
    }

    static func root(trace: TraceID = .stub(1), events: [SpanEvent] = [], attributes: [Attribute] = [], links: [SpanLink] = []) -> Span {
        Span.stub(trace: trace, span: .stub(1), name: "handle refund", start: t0, durationNanos: 100_000_000_000,
                  attributes: attributes, events: events, links: links)
    }

    static func granted(at seconds: UInt64, tool: String? = nil, callID: String? = nil) -> SpanEvent {
        var attributes = [Attribute("approval.approver", .string("maria"))]
        if let tool { attributes.append(Attribute("gen_ai.tool.name", .string(tool))) }
        if let callID { attributes.append(Attribute("gen_ai.tool.call.id", .string(callID))) }
        return SpanEvent(timeUnixNano: t0 + seconds * 1_000_000_000, name: "approval.granted", attributes: attributes)
    }

    @Test("a refund that ran without approval is critical; one that did not run is high", arguments: Tool.conventions)
    func unapproved(convention: String) throws {
        let ran = try #require(detect(detector, [Self.root(), Self.refund(convention: convention)]).first)
        #expect(ran.exceptionClass == "approval_required")
        #expect(ran.category == .policy)
        #expect(ran.severity == .critical)
        #expect(ran.tool == "payments.issue_refund")
        #expect(ran.summary == "payments.issue_refund ran without an approval")
        let blocked = try #require(detect(detector, [Self.root(), Self.refund(ran: false, convention: convention)]).first)
        #expect(blocked.severity == .high)
    }

    @Test("an approval counts on the call itself, on an ancestor before the call, or on an earlier sibling gate step")
    func approvedRefunds() {
        let ownSpan = Self.refund(extra: [])
        var own = ownSpan
        own.events = [Self.granted(at: 11)]
        #expect(detect(detector, [Self.root(), own]).isEmpty)
        #expect(detect(detector, [Self.root(events: [Self.granted(at: 5)]), Self.refund()]).isEmpty)
        let gate = Span.stub(span: .stub(2), parent: .stub(1), name: "approval gate", start: Self.t0 + 2_000_000_000,
                             attributes: [Attribute("approval.decision", .string("granted")), Attribute("approval.approver", .string("maria"))])
        #expect(detect(detector, [Self.root(), gate, Self.refund()]).isEmpty)
    }

    @Test("an approval that does not count: after the call on an ancestor, for another tool or call, a later sibling, or denied")
    func approvalsThatDoNotCount() {
        #expect(detect(detector, [Self.root(events: [Self.granted(at: 50)]), Self.refund()]).count == 1)
        #expect(detect(detector, [Self.root(events: [Self.granted(at: 5, tool: "email.send")]), Self.refund()]).count == 1)
        #expect(detect(detector, [Self.root(events: [Self.granted(at: 5, callID: "call_9")]), Self.refund()]).count == 1)
        #expect(detect(detector, [Self.root(events: [Self.granted(at: 5, callID: "call_1")]), Self.refund()]).isEmpty)
        let laterGate = Span.stub(span: .stub(2), parent: .stub(1), name: "approval gate", start: Self.t0 + 20_000_000_000,
                                  attributes: [Attribute("approval.decision", .string("granted"))])
        #expect(detect(detector, [Self.root(), laterGate, Self.refund()]).count == 1)
        let denied = SpanEvent(timeUnixNano: Self.t0 + 6_000_000_000, name: "approval.denied")
        #expect(detect(detector, [Self.root(events: [Self.granted(at: 5), denied]), Self.refund()]).count == 1)
    }

    @Test("tools not in required_tools need nothing, unless the span flags itself")
    func notRequired() {
        let lookup = Tool.call("vendor.lookup", span: 3, start: 10)
        #expect(detect(detector, [Self.root(), lookup]).isEmpty)
        var flagged = Tool.call("crm.delete", span: 4, start: 10, extra: [Attribute("tool.approval.required", .bool(true))])
        flagged.parentSpanID = .stub(1)
        #expect(detect(detector, [Self.root(), flagged]).count == 1)
    }

    @Test("an approval on the original request counts for a call in a background job linked to it")
    func acrossLink() throws {
        let request = Self.root(trace: .stub(1), events: [Self.granted(at: 1)])
        let job = Span.stub(trace: .stub(2), span: .stub(20), name: "refund job", start: Self.t0 + 30_000_000_000,
                            links: [SpanLink(traceID: .stub(1), spanID: .stub(1))])
        let call = Self.refund(span: 21, parent: 20, trace: .stub(2), start: 31)
        #expect(detect(detector, [request, job, call]).isEmpty)
        let unapprovedRequest = Self.root(trace: .stub(1))
        let detection = try #require(detect(detector, [unapprovedRequest, job, call]).first)
        #expect(detection.trigger == SpanReference(call))
    }

    @Test("a call whose ancestors have not all arrived waits, and is judged when the workflow settles")
    func waitsForAncestors() {
        let orphan = Self.refund(parent: 1)   // its root (which may carry the approval) has not arrived
        #expect(detect(detector, [orphan]).isEmpty)
        #expect(detect(detector, [orphan], settled: true).count == 1)
    }

    @Test("unresolved_failure: an exception event with no later success, judged only once the workflow settled")
    func unresolved() throws {
        let unresolved = UnresolvedFailureDetector()
        let failure = Span.stub(span: .stub(5), name: "charge card", start: Self.t0 + 1,
                                events: [SpanEvent(timeUnixNano: Self.t0 + 2, name: "exception", attributes: [Attribute("exception.type", .string("CardDeclined"))])],
                                status: SpanStatus(code: .error))
        #expect(detect(unresolved, [failure]).isEmpty)
        let detection = try #require(detect(unresolved, [failure], settled: true).first)
        #expect(detection.exceptionClass == "unresolved_failure")
        #expect(detection.summary.contains("charge card failed with CardDeclined"))
        let retried = Span.stub(span: .stub(6), name: "charge card", start: Self.t0 + 10, status: SpanStatus(code: .ok))
        #expect(detect(unresolved, [failure, retried], settled: true).isEmpty)
        let earlierSuccess = Span.stub(span: .stub(4), name: "charge card", start: Self.t0, status: SpanStatus(code: .ok))
        #expect(detect(unresolved, [earlierSuccess, failure], settled: true).count == 1)
    }

    /// A workflow with many failures of one operation asks for its later attempts once, not once
    /// per failure (that made settling a long-lived workflow quadratic); the verdict is the same:
    /// the failures after the last success are unresolved.
    @Test("unresolved_failure reads the later attempts once per operation, however many failures")
    func unresolvedReadsOnce() throws {
        let unresolved = UnresolvedFailureDetector()
        var spans: [Span] = []
        for index in 0..<40 {
            let failed = index != 20   // one success in the middle
            spans.append(Span.stub(span: .stub(UInt64(index + 1)), name: "charge card", start: Self.t0 + UInt64(index),
                                   events: failed ? [SpanEvent(timeUnixNano: Self.t0 + UInt64(index), name: "exception")] : [],
                                   status: SpanStatus(code: failed ? .error : .ok)))
        }
        let key = try #require(unresolved.facts(of: spans[0], service: "agent").first)
        let facts = spans.filter { $0.status.code == .error }.map { FactOccurrence(reference: SpanReference($0), startTimeUnixNano: $0.startTimeUnixNano) }
        let context = CountingContext(base: MemoryContext(graph: WorkflowGraph(nodes: spans.map { CausalNode(span: $0, service: "agent") }),
                                                          factsByKey: [key: facts], settled: true))
        let detection = try #require(try unresolved.evaluate(key: key, in: context))
        #expect(detection.occurrences == 19)   // the failures after the success at index 20
        #expect(detection.trigger == SpanReference(spans[39]))
        #expect(context.reads.count == 1)
    }
}
