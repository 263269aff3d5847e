import TraceModel

/// Builders with defaults, so a test names only what it is about.
extension Span {
    public static func stub(
        trace: TraceID = .stub(1),
        span: SpanID = .stub(1),
        parent: SpanID? = nil,
        name: String = "operation",
        kind: SpanKind = .internal,
        start: UInt64 = 1_700_000_000_000_000_000,
        durationNanos: UInt64 = 1_000_000,
        attributes: [Attribute] = [],
        events: [SpanEvent] = [],
        links: [SpanLink] = [],
        status: SpanStatus = SpanStatus()
    ) -> Span {
        Span(
            traceID: trace, spanID: span, parentSpanID: parent, name: name, kind: kind,
            startTimeUnixNano: start, endTimeUnixNano: start + durationNanos,
            attributes: attributes, events: events, links: links, status: status
        )
    }

    /// A span with every field set to a non-default value, for round trips.
    public static func everyField(trace: TraceID = .stub(0xABCD), span: SpanID = .stub(0x1234)) -> Span {
        Span(
            traceID: trace,
            spanID: span,
            parentSpanID: .stub(0x5678),
            traceState: "vendor=value,other=1",
            flags: 0x301,
            name: "payments.issue_refund \u{1F4B8} \"quoted\"\n",
            kind: .client,
            startTimeUnixNano: 1_763_750_000_123_456_789,
            endTimeUnixNano: 1_763_750_001_987_654_321,
            attributes: Attribute.everyType,
            droppedAttributesCount: 3,
            events: [
                SpanEvent(timeUnixNano: 1_763_750_000_500_000_000, name: "exception", attributes: [
                    Attribute("exception.type", .string("TimeoutError")),
                    Attribute("exception.message", .string("upstream took too long")),
                ], droppedAttributesCount: 1),
                SpanEvent(timeUnixNano: 1_763_750_000_600_000_000, name: "approval.granted"),
            ],
            droppedEventsCount: 2,
            links: [
                SpanLink(traceID: .stub(0xFEED), spanID: .stub(0xBEEF), traceState: "k=v",
                         attributes: [Attribute("messaging.operation", .string("process"))],
                         droppedAttributesCount: 4, flags: 1),
            ],
            droppedLinksCount: 5,
            status: SpanStatus(code: .error, message: "refund failed")
        )
    }
}

extension Attribute {
    /// One attribute of every value type, nested ones included.
    public static let everyType: [Attribute] = [
        Attribute("string", .string("hello, wörld")),
        Attribute("empty_string", .string("")),
        Attribute("bool", .bool(true)),
        Attribute("false", .bool(false)),
        Attribute("int", .int(-9_007_199_254_740_993)),
        Attribute("int_max", .int(.max)),
        Attribute("zero", .int(0)),
        Attribute("double", .double(0.1)),
        Attribute("bytes", .bytes([0, 1, 2, 255])),
        Attribute("array", .array([.string("a"), .int(1), .array([.bool(false)])])),
        Attribute("map", .keyValueList([Attribute("inner", .double(-2.5)), Attribute("deeper", .keyValueList([]))])),
        Attribute("nothing", .empty),
    ]
}

extension TraceID {
    /// A trace id from a small number, for readable tests.
    public static func stub(_ value: UInt64) -> TraceID { TraceID(high: 0x0AF7_6519_16CD_43DD, low: value) }
}

extension SpanID {
    public static func stub(_ value: UInt64) -> SpanID { SpanID(value) }
}

extension TraceBatch {
    /// One resource (`service.name` = `service`), one scope, these spans.
    public static func stub(service: String = "agent", spans: [Span]) -> TraceBatch {
        TraceBatch(resourceGroups: [
            ResourceGroup(
                resource: Resource(attributes: [Attribute("service.name", .string(service))]),
                scopeGroups: [ScopeGroup(scope: InstrumentationScope(name: "tests", version: "1.0"), spans: spans)]
            ),
        ])
    }

    /// A fully populated batch: two resources, scopes with every field, spans with every field.
    public static var everyField: TraceBatch {
        TraceBatch(resourceGroups: [
            ResourceGroup(
                resource: Resource(
                    attributes: [Attribute("service.name", .string("refund-agent")), Attribute("deployment.environment", .string("prod"))],
                    droppedAttributesCount: 7,
                    schemaURL: "https://opentelemetry.io/schemas/1.26.0"
                ),
                scopeGroups: [
                    ScopeGroup(
                        scope: InstrumentationScope(name: "agent.sdk", version: "2.1", attributes: [Attribute("scope.attr", .int(1))],
                                                    droppedAttributesCount: 1, schemaURL: "https://example.com/scope"),
                        spans: [.everyField(), .stub(trace: .stub(0xABCD), span: .stub(0x9999), parent: .stub(0x1234))]
                    ),
                ]
            ),
            ResourceGroup(
                resource: Resource(attributes: [Attribute("service.name", .string("payments"))]),
                scopeGroups: [ScopeGroup(spans: [.stub(trace: .stub(0xABCD), span: .stub(0x7777), parent: .stub(0x9999))])]
            ),
        ])
    }
}
