import Correlation
import Detection
import TestSupport
import Testing
import TraceModel

/// One workflow in memory, as the store's detection context presents it.
struct MemoryContext: DetectionContext {
    let graph: WorkflowGraph
    let factsByKey: [String: [FactOccurrence]]
    let settled: Bool

    func facts(_ key: String) -> [FactOccurrence] { factsByKey[key] ?? [] }
    func keys() -> [String] { factsByKey.keys.sorted() }
    func node(_ reference: SpanReference) -> CausalNode? { graph.node(reference) }
    func filed(_ dedupeKey: DedupeKey) -> FiledException? { nil }
    func reviewerApproved(tool: String) -> Bool { false }
    func hasSpans(startingAfter time: UInt64) -> Bool { graph.nodes.contains { $0.span.startTimeUnixNano > time } }
    func spans(named name: String, startingAfter start: UInt64) -> [CausalNode] {
        graph.nodes.filter { $0.span.name == name && $0.span.startTimeUnixNano > start }
    }
}

/// Runs a detector the way the store does: facts per span, then each touched key expanded to
/// the keys the detector judges, each judged once over the whole workflow.
func detect(_ detector: some Detector, _ spans: [Span], service: String = "agent", settled: Bool = false) -> [Detection] {
    var byKey: [String: [FactOccurrence]] = [:]
    var order: [String] = []
    let sorted = spans.sorted { ($0.startTimeUnixNano, SpanReference($0)) < ($1.startTimeUnixNano, SpanReference($1)) }
    for span in sorted {
        for key in detector.facts(of: span, service: service) {
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(FactOccurrence(reference: SpanReference(span), startTimeUnixNano: span.startTimeUnixNano))
        }
    }
    let context = MemoryContext(graph: WorkflowGraph(nodes: spans.map { CausalNode(span: $0, service: service) }), factsByKey: byKey, settled: settled)
    var judged: Set<String> = []
    var detections: [Detection] = []
    for touched in order {
        for key in (try? detector.keysToJudge(touched: touched, in: context)) ?? [] where judged.insert(key).inserted {
            if let detection = try? detector.evaluate(key: key, in: context) { detections.append(detection) }
        }
    }
    return detections
}

enum Tool {
    static let conventions: [String] = ["genai", "openinference", "mcp"]

    /// A tool call span in one of the three conventions.
    static func call(_ name: String, convention: String = "genai", span: UInt64, start: UInt64 = 0,
                     error: String? = nil, extra: [Attribute] = []) -> Span {
        var attributes: [Attribute] = switch convention {
        case "openinference": [Attribute("openinference.span.kind", .string("TOOL")), Attribute("tool.name", .string(name))]
        case "mcp": [Attribute("mcp.method.name", .string("tools/call")), Attribute("gen_ai.tool.name", .string(name))]
        default: [Attribute("gen_ai.operation.name", .string("execute_tool")), Attribute("gen_ai.tool.name", .string(name))]
        }
        if let error { attributes.append(Attribute("error.type", .string(error))) }
        return Span.stub(span: .stub(span), name: "call \(name)", start: 1_700_000_000_000_000_000 + start * 1_000_000_000,
                         attributes: attributes + extra,
                         status: error == nil ? SpanStatus(code: .ok) : SpanStatus(code: .error, message: error!))
    }
}

@Suite("Detectors")
struct DetectorTests {
    let repeatFailure = RepeatFailureDetector(configuration: .default)

    @Test("tool calls are recognised in all three conventions", arguments: Tool.conventions)
    func conventions(convention: String) {
        #expect(ToolCall(Tool.call("courier.pickup", convention: convention, span: 1))?.name == "courier.pickup")
        #expect(ToolCall(Span.stub(name: "plain")) == nil)
    }

    @Test("a non-transient failure twice opens repeat_failure (business_rule), once opens nothing", arguments: Tool.conventions)
    func nonTransient(convention: String) throws {
        let first = Tool.call("courier.pickup", convention: convention, span: 1, start: 1, error: "address_not_found")
        #expect(detect(repeatFailure, [first]).isEmpty)
        let second = Tool.call("courier.pickup", convention: convention, span: 2, start: 2, error: "address_not_found")
        let detection = try #require(detect(repeatFailure, [second, first]).first)
        #expect(detection.exceptionClass == "repeat_failure")
        #expect(detection.category == .businessRule)
        #expect(detection.tool == "courier.pickup")
        #expect(detection.trigger == SpanReference(second))
        #expect(detection.occurrences == 1)
        #expect(detection.summary.contains("a retry cannot fix it"))
    }

    @Test("two timeouts then success recover within bounds: nothing; a third timeout opens a transient repeat_failure")
    func transient() throws {
        let timeouts = (1...2).map { Tool.call("vendor.lookup", span: UInt64($0), start: UInt64($0), error: "TimeoutError") }
        let success = Tool.call("vendor.lookup", span: 3, start: 3)
        #expect(detect(repeatFailure, timeouts + [success]).isEmpty)
        let third = Tool.call("vendor.lookup", span: 4, start: 4, error: "TimeoutError")
        let detection = try #require(detect(repeatFailure, timeouts + [success, third]).first)
        #expect(detection.category == .transient)
        #expect(detection.trigger == SpanReference(third))
    }

    @Test("the failure type comes from error.type, else the exception event, else 'error'")
    func failureType() {
        let withEvent = Span.stub(events: [SpanEvent(name: "exception", attributes: [Attribute("exception.type", .string("KeyError"))])],
                                  status: SpanStatus(code: .error))
        #expect(Failure(withEvent)?.type == "KeyError")
        #expect(Failure(Span.stub(status: SpanStatus(code: .error)))?.type == "error")
        #expect(Failure(Span.stub(status: SpanStatus(code: .ok))) == nil)
    }

    @Test("thresholds come from the configuration")
    func thresholds() {
        var configuration = DetectionConfiguration.default
        configuration.nonTransientMaxAttempts = 3
        let detector = RepeatFailureDetector(configuration: configuration)
        let failures = (1...2).map { Tool.call("crm.update", span: UInt64($0), start: UInt64($0), error: "validation") }
        #expect(detect(detector, failures).isEmpty)
        #expect(detect(detector, failures + [Tool.call("crm.update", span: 3, start: 3, error: "validation")]).count == 1)
    }

    @Test("different failure types or operations are different signatures")
    func signatures() {
        let spans = [
            Tool.call("a", span: 1, start: 1, error: "x"), Tool.call("a", span: 2, start: 2, error: "y"),
            Tool.call("b", span: 3, start: 3, error: "x"),
        ]
        #expect(detect(repeatFailure, spans).isEmpty)
    }

    @Test("stale connector data: the second stale read opens it; fresh reads and a single stale read do not")
    func stale() throws {
        var configuration = DetectionConfiguration.default
        configuration.maxDataAgeByConnector = ["vendor-master": 3_600_000_000_000]
        let detector = StaleConnectorDataDetector(configuration: configuration)
        func read(_ span: UInt64, ageMinutes: Int64, connector: String = "vendor-master") -> Span {
            Tool.call("vendor.lookup", span: span, start: span,
                      extra: [Attribute("connector.name", .string(connector)), Attribute("connector.data.age_ms", .int(ageMinutes * 60_000))])
        }
        #expect(detect(detector, [read(1, ageMinutes: 30), read(2, ageMinutes: 59)]).isEmpty)   // fresh under the 1h override
        #expect(detect(detector, [read(1, ageMinutes: 120)]).isEmpty)
        let detection = try #require(detect(detector, [read(1, ageMinutes: 120), read(2, ageMinutes: 5), read(3, ageMinutes: 90)]).first)
        #expect(detection.category == .dataIntegrity)
        #expect(detection.trigger?.spanID == .stub(3))
        #expect(detection.summary == "vendor-master returned data older than 1h on 2 reads in one workflow")
        // The default max age (15m) applies to other connectors; as_of (RFC 3339) works too.
        let start = 1_700_000_000_000_000_000 as UInt64
        let asOf = RFC3339.format(unixNano: start - 20 * 60 * 1_000_000_000)
        let spans = (1...2).map { index in
            Span.stub(span: .stub(UInt64(index)), start: start,
                      attributes: [Attribute("connector.name", .string("crm")), Attribute("connector.data.as_of", .string(asOf))])
        }
        #expect(detect(detector, spans).count == 1)
    }

    @Test("a custom rule opens its own class when an attribute is below the threshold")
    func rule() throws {
        let rule = AttributeRule(name: "low-confidence", attribute: "gen_ai.evaluation.score", condition: .below(0.5),
                                 exceptionClass: "low_confidence", category: .confidence, severity: .high)
        let detector = AttributeRuleDetector(rule: rule)
        let low = Span.stub(span: .stub(1), name: "answer", attributes: [Attribute("gen_ai.evaluation.score", .double(0.2))])
        let high = Span.stub(span: .stub(2), name: "answer", attributes: [Attribute("gen_ai.evaluation.score", .double(0.9))])
        #expect(detect(detector, [high]).isEmpty)
        let detection = try #require(detect(detector, [low, high]).first)
        #expect(detection.exceptionClass == "low_confidence")
        #expect(detection.category == .confidence)
        #expect(detection.severity == .high)
    }

    @Test("the exception id is stable: the same detection gives the same id")
    func stableID() throws {
        let spans = (1...2).map { Tool.call("courier.pickup", span: UInt64($0), start: UInt64($0), error: "address_not_found") }
        let first = try #require(detect(repeatFailure, spans).first)
        let again = try #require(detect(repeatFailure, spans.reversed()).first)
        #expect(first.exceptionID == again.exceptionID)
        #expect(first.exceptionID?.hasPrefix("exc_") == true)
        #expect(first.exceptionID?.count == 20)
    }
}

@Suite("Owner routing and the queue lifecycle")
struct OwnerRoutingTests {
    static func detection(class exceptionClass: String = "approval_required", service: String = "refunds", tool: String? = "payments.issue_refund") -> Detection {
        Detection(exceptionClass: exceptionClass, category: .policy, severity: .critical, summary: "", trigger: SpanReference(traceID: .stub(1), spanID: .stub(1)),
                  dedupeKey: DedupeKey(detector: "d", key: "k"), occurrences: 1, service: service, tool: tool)
    }

    @Test("the first matching rule wins; globs match tools; nothing matching falls back to ops-triage")
    func routing() {
        let routing = OwnerRouting(rules: [
            .init(exceptionClass: "approval_required", tool: "payments.*", owner: "finance-approvals", slaNanos: 900_000_000_000),
            .init(service: "device-*", owner: "logistics-ops", slaNanos: 4 * 3_600_000_000_000),
        ])
        #expect(routing.route(Self.detection()).owner == "finance-approvals")
        #expect(routing.route(Self.detection()).slaNanos == 900_000_000_000)
        #expect(routing.route(Self.detection(tool: "email.send")).owner == "ops-triage")
        #expect(routing.route(Self.detection(tool: nil)).owner == "ops-triage")
        #expect(routing.route(Self.detection(class: "repeat_failure", service: "device-recovery")).owner == "logistics-ops")
        #expect(Glob.matches("a*c?e", "abbbcde"))
        #expect(!Glob.matches("payments.*", "email.send"))
    }

    @Test("actions move the status as the lifecycle allows", arguments: [
        (ExceptionAction.ack, ExceptionStatus.open, ExceptionStatus?.some(.acknowledged)),
        (.ack, .acknowledged, nil), (.resolve, .acknowledged, .resolved), (.dismiss, .open, .dismissed),
        (.reopen, .resolved, .open), (.reopen, .open, nil), (.assign, .resolved, nil), (.assign, .acknowledged, .acknowledged),
        (.resolve, .dismissed, nil),
    ])
    func lifecycle(action: ExceptionAction, from: ExceptionStatus, to: ExceptionStatus?) {
        #expect(action.next(from: from) == to)
    }
}

/// Counts and stored facts as a store holds them once retention took some facts away (they stay
/// counted), with the pattern filed or not.
struct AgedContext: DetectionContext {
    let kept: [FactOccurrence]
    let counted: Int
    let isPatternFiled: Bool
    let settled: Bool

    func facts(_ key: String) -> [FactOccurrence] { kept }
    func keys() -> [String] { [] }
    func count(_ key: String) -> Int { counted }
    func node(_ reference: SpanReference) -> CausalNode? { nil }
    func filed(_ dedupeKey: DedupeKey) -> FiledException? {
        isPatternFiled ? FiledException(id: "exc_filed", status: .resolved, occurrences: 1, openedAtUnixNano: 0) : nil
    }
    func reviewerApproved(tool: String) -> Bool { false }
    func hasSpans(startingAfter time: UInt64) -> Bool { false }
    func spans(named name: String, startingAfter start: UInt64) -> [CausalNode] { [] }
}

@Suite("A counting pattern's trigger after retention")
struct AgedTriggerTests {
    static let key = "vendor-master\u{1F}procurement\u{1F}vendor.lookup"
    static func read(_ span: UInt64) -> FactOccurrence {
        FactOccurrence(reference: SpanReference(traceID: .stub(1), spanID: .stub(span)), startTimeUnixNano: span)
    }

    @Test("completed only after retention took its first facts: the kept fact its limit-th place falls on; filed: no move")
    func agedTrigger() throws {
        var configuration = DetectionConfiguration.default
        configuration.staleReadsBeforeEscalation = 3
        let detector = StaleConnectorDataDetector(configuration: configuration)
        // r1 aged out (still counted); r2, r3 kept: the third read is r3, as with nothing aged.
        let unfiled = AgedContext(kept: [Self.read(2), Self.read(3)], counted: 3, isPatternFiled: false, settled: false)
        #expect(try detector.evaluate(key: Self.key, in: unfiled)?.trigger?.spanID == .stub(3))
        // Filed at r3, r4 and r5 only counted, r1 aged: settled, the filed trigger stays (nil: no move).
        let filed = AgedContext(kept: [Self.read(2), Self.read(3)], counted: 5, isPatternFiled: true, settled: true)
        let detection = try #require(try detector.evaluate(key: Self.key, in: filed))
        #expect(detection.trigger == nil)
        #expect(detection.occurrences == 3)
    }
}
