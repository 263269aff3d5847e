import TraceModel

/// A workflow over four traces joined by links, as an agent runtime produces it: a request
/// enqueues a refund job (link), the job fails and schedules a retry (a new trace, linked), and a
/// nightly batch consumes both messages (fan-in: two links).
public enum WorkflowFixture {
    public static let request = TraceID.stub(0x100)
    public static let worker = TraceID.stub(0x200)
    public static let retry = TraceID.stub(0x300)
    public static let batch = TraceID.stub(0x400)
    static let t0: UInt64 = 1_700_000_000_000_000_000
    static let ms: UInt64 = 1_000_000

    public static let spans: [(service: String, span: Span)] = [
        ("api", .stub(trace: request, span: .stub(0x11), name: "POST /refunds", kind: .server, start: t0, durationNanos: 40 * ms)),
        ("api", .stub(trace: request, span: .stub(0x12), parent: .stub(0x11), name: "enqueue refund", kind: .producer,
                      start: t0 + 5 * ms, durationNanos: 2 * ms)),
        ("worker", .stub(trace: worker, span: .stub(0x21), name: "process refund", kind: .consumer, start: t0 + 100 * ms,
                         durationNanos: 50 * ms, links: [SpanLink(traceID: request, spanID: .stub(0x12))])),
        ("worker", .stub(trace: worker, span: .stub(0x22), parent: .stub(0x21), name: "payments.issue_refund",
                         start: t0 + 110 * ms, durationNanos: 10 * ms, status: SpanStatus(code: .error, message: "gateway timeout"))),
        ("worker", .stub(trace: worker, span: .stub(0x23), parent: .stub(0x21), name: "schedule retry", kind: .producer,
                         start: t0 + 130 * ms, durationNanos: 1 * ms)),
        ("worker", .stub(trace: retry, span: .stub(0x31), name: "process refund (retry)", kind: .consumer, start: t0 + 1000 * ms,
                         durationNanos: 30 * ms, links: [SpanLink(traceID: worker, spanID: .stub(0x23))])),
        ("worker", .stub(trace: retry, span: .stub(0x32), parent: .stub(0x31), name: "payments.issue_refund",
                         start: t0 + 1005 * ms, durationNanos: 20 * ms)),
        ("batch", .stub(trace: batch, span: .stub(0x41), name: "nightly batch", kind: .consumer, start: t0 + 2000 * ms,
                        durationNanos: 5 * ms, links: [
                            SpanLink(traceID: worker, spanID: .stub(0x23)), SpanLink(traceID: request, spanID: .stub(0x12)),
                        ])),
    ]

    /// The ids on the causal path of the retried tool call (retry/0x32), origin first.
    public static let retryToolCallPath: [(TraceID, SpanID, String)] = [
        (request, .stub(0x11), "origin"), (request, .stub(0x12), "child_of"), (worker, .stub(0x21), "linked_from"),
        (worker, .stub(0x23), "child_of"), (retry, .stub(0x31), "linked_from"), (retry, .stub(0x32), "child_of"),
    ]

    /// Orders the spans can arrive in.
    public enum ArrivalOrder: String, CaseIterable, Sendable, CustomStringConvertible {
        case inOrder = "in order"
        case reversed
        case shuffled
        case consumerFirst = "consumer first"

        public var description: String { rawValue }
    }

    /// The spans in `order`; `shuffled` is a fixed permutation, so failures reproduce.
    public static func spans(in order: ArrivalOrder) -> [(service: String, span: Span)] {
        switch order {
        case .inOrder: spans
        case .reversed: spans.reversed()
        case .shuffled: [5, 2, 7, 0, 3, 6, 1, 4].map { spans[$0] }
        case .consumerFirst: spans.filter { $0.span.traceID != request } + spans.filter { $0.span.traceID == request }
        }
    }

    /// One export request per span, in `order`.
    public static func requests(in order: ArrivalOrder) -> [TraceBatch] {
        spans(in: order).map { TraceBatch.stub(service: $0.service, spans: [$0.span]) }
    }
}
